-- KEYS: per message 5: group list, dedup mark, ready, heads, stats (of its partition)
-- ARGV: 1 now ms, then per message 4: group, element, dedup expiry ms (queue clock;
--       0 = no dedup), dedup ttl ms
-- Returns per message 1 stored, 0 refused as a duplicate (nothing stored), or an error
-- text (nothing stored). Messages are independent: one failing leaves the others be.
-- On Redis Cluster a call carries messages of one partition only.
--
-- A message's dedup check only reads; its first write is RPUSH, so a message that fails
-- there (wrong type, out of memory) has written nothing, and no dedup mark outlives a
-- failed enqueue.
local now = tonumber(ARGV[1])
local out = {}
local stored = {}
for i = 1, #KEYS / 5 do
  local k, a = 5 * i - 4, 4 * i - 2
  local exp = tonumber(ARGV[a + 2])
  local dup = false
  if exp > 0 then
    local v = redis.call('GET', KEYS[k + 1])
    dup = v and tonumber(v) > now
  end
  if dup then
    redis.call('HINCRBY', KEYS[k + 4], 'dup', 1)
    out[i] = 0
  else
    local n = redis.pcall('RPUSH', KEYS[k], ARGV[a + 1])
    if type(n) == 'table' then
      out[i] = n.err
    else
      if exp > 0 then
        redis.call('SET', KEYS[k + 1], exp, 'PX', ARGV[a + 3])
      end
      if n == 1 then
        redis.call('ZADD', KEYS[k + 2], now, ARGV[a])
        redis.call('ZADD', KEYS[k + 3], now, ARGV[a])
      end
      stored[KEYS[k + 4]] = (stored[KEYS[k + 4]] or 0) + 1
      out[i] = 1
    end
  end
end
for key, n in pairs(stored) do
  redis.call('HINCRBY', key, 'enq', n)
end
return out
