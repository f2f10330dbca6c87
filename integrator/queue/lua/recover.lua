-- KEYS: 1 ready, 2 inflight, 3 lease, 4 att, 5 stats, 6 heads, 7 dlq
-- ARGV: 1 group key prefix, 2 now ms, 3 max attempts, 4 max groups
-- Returns {groups made ready again, heads dead-lettered, groups examined}.
-- A head whose last allowed attempt lost its lease goes to the dead-letter stream with
-- reason "lease-expired" instead of being delivered once more.
local gs = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
local now = tonumber(ARGV[2])
local maxAttempts = tonumber(ARGV[3])
local recovered, dead = 0, 0
for _, g in ipairs(gs) do
  redis.call('ZREM', KEYS[2], g)
  redis.call('HDEL', KEYS[3], g)
  local gkey = ARGV[1] .. g
  local head = redis.call('LINDEX', gkey, 0)
  if head then
    local id, enq = meta(head)
    if counts(KEYS[4], id) >= maxAttempts then
      local err = redis.call('HGET', KEYS[4], id .. ':e') or ''
      if err ~= '' then
        err = err .. '; '
      end
      bury(KEYS, gkey, g, 'lease-expired', err .. 'lease expired on the last attempt', now)
      dead = dead + 1
    else
      redis.call('ZADD', KEYS[1], enq, g)
      redis.call('HINCRBY', KEYS[5], 'recover', 1)
      recovered = recovered + 1
    end
  else
    redis.call('ZREM', KEYS[6], g)
  end
end
return {recovered, dead, #gs}
