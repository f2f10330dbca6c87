-- KEYS: 1 ready, 2 inflight, 3 lease, 4 att, 5 stats, 6 heads, 7 dlq
-- ARGV: 1 group key prefix, 2 now ms, then dead-letter stream ids, newest first.
-- Each dead letter goes back to the front of its group with a fresh attempt count: as
-- the head when the group is idle or waiting, right behind the head when the group is
-- in flight. Ingress dedup marks are not consulted. Ids already gone are skipped.
-- Returns the number replayed.
local n = 0
for i = 3, #ARGV do
  local r = redis.call('XRANGE', KEYS[7], ARGV[i], ARGV[i])
  if #r == 1 then
    local f = r[1][2]
    local g, e
    for j = 1, #f, 2 do
      if f[j] == 'key' then
        g = f[j + 1]
      elseif f[j] == 'msg' then
        e = f[j + 1]
      end
    end
    redis.call('XDEL', KEYS[7], ARGV[i])
    local gkey = ARGV[1] .. g
    local id, enq = meta(e)
    redis.call('HDEL', KEYS[4], id, id .. ':e')
    if redis.call('HEXISTS', KEYS[3], g) == 1 then
      local head = redis.call('LPOP', gkey)
      redis.call('LPUSH', gkey, e, head)
    else
      if redis.call('LPUSH', gkey, e) == 1 then
        redis.call('ZADD', KEYS[1], ARGV[2], g)
      end
      redis.call('ZADD', KEYS[6], enq, g)
    end
    redis.call('HINCRBY', KEYS[5], 'replay', 1)
    n = n + 1
  end
end
return n
