-- KEYS: 1 ready, 2 inflight, 3 lease, 4 att, 5 stats, 6 heads, 7 dlq
-- ARGV: 1 group key prefix, 2 now ms, 3 max attempts, then 7 per operation:
--   kind, group, token, message id, number, reason, error
-- kinds: a ack; r retry (number = due ms); s snooze (due ms); l release (due ms);
--        d dead-letter; e extend lease (number = new deadline ms)
-- Returns one status per operation: -1 the token no longer holds the group (nothing
-- done); otherwise bit 0 = the group is ready to run now, bit 1 = the head was
-- dead-lettered.
local K = KEYS
local now = tonumber(ARGV[2])
local maxAttempts = tonumber(ARGV[3])
local out = {}
for i = 4, #ARGV, 7 do
  local kind, g, tok, id = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local num = tonumber(ARGV[i + 4])
  local st = -1
  local gkey = ARGV[1] .. g
  if redis.call('HGET', K[3], g) == tok then
    if kind == 'e' then
      redis.call('ZADD', K[2], num, g)
      st = 0
    else
      local head = redis.call('LINDEX', gkey, 0)
      if head and meta(head) == id then
        redis.call('HDEL', K[3], g)
        redis.call('ZREM', K[2], g)
        if kind == 'a' then
          redis.call('LPOP', gkey)
          redis.call('HDEL', K[4], id, id .. ':e')
          redis.call('HINCRBY', K[5], 'ack', 1)
          st = advance(K[1], K[6], gkey, g)
        elseif kind == 'd' then
          st = 2 + bury(K, gkey, g, ARGV[i + 5], ARGV[i + 6], now)
        elseif kind == 'r' and counts(K[4], id) >= maxAttempts then
          st = 2 + bury(K, gkey, g, 'max-attempts', ARGV[i + 6], now)
        else
          if kind == 'r' then
            redis.call('HSET', K[4], id .. ':e', ARGV[i + 6])
            redis.call('HINCRBY', K[5], 'retry', 1)
          elseif kind == 's' then
            redis.call('HINCRBY', K[4], id, SNOOZE - 1)
            redis.call('HINCRBY', K[5], 'snooze', 1)
          else
            redis.call('HINCRBY', K[4], id, -1)
            redis.call('HINCRBY', K[5], 'release', 1)
          end
          redis.call('ZADD', K[1], num, g)
          st = 0
          if num <= now then
            st = 1
          end
        end
      end
    end
  end
  out[#out + 1] = st
end
return out
