-- KEYS: 1 ready, 2 inflight, 3 lease, 4 att, 5 stats, 6 heads, 7 dlq
-- ARGV: 1 group key prefix, 2 now ms, 3 max groups
-- Returns {groups woken, groups examined}.
-- Groups waiting for a later time (a retry's backoff, a snooze) become ready now, ranked
-- by their head's enqueue time as if they had never waited; attempts are unchanged.
local gs = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf', 'LIMIT', 0, tonumber(ARGV[3]))
local now = tonumber(ARGV[2])
local woken = 0
for _, g in ipairs(gs) do
  local head = redis.call('LINDEX', ARGV[1] .. g, 0)
  if head then
    local _, enq = meta(head)
    redis.call('ZADD', KEYS[1], math.min(enq, now), g)
    woken = woken + 1
  else
    redis.call('ZREM', KEYS[1], g)
  end
end
if woken > 0 then
  redis.call('HINCRBY', KEYS[5], 'woken', woken)
end
return {woken, #gs}
