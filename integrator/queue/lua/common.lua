-- Shared by every script that moves a group's head. Concatenated in front of each script.
--
-- A message element is "<enqueuedAtMs>|<len(id)>|<id><binary rest>"; scripts read only
-- the id and the enqueue time. The attempt counter of a message is one hash field,
-- attempts + snoozes * SNOOZE, so delivering, snoozing and refunding are one HINCRBY.
local SNOOZE = 1048576

local function meta(e)
  local _, b, enq, n = string.find(e, '^(%d+)|(%d+)|')
  n = tonumber(n)
  return string.sub(e, b + 1, b + n), tonumber(enq)
end

local function counts(att, id)
  local v = tonumber(redis.call('HGET', att, id) or '0')
  return v % SNOOZE, math.floor(v / SNOOZE)
end

-- After group g's head left (acked or dead-lettered): the group becomes ready with its
-- next head, oldest first, or is forgotten when empty. Returns 1 when ready now.
local function advance(ready, heads, gkey, g)
  local nxt = redis.call('LINDEX', gkey, 0)
  if not nxt then
    redis.call('ZREM', heads, g)
    return 0
  end
  local _, enq = meta(nxt)
  redis.call('ZADD', heads, enq, g)
  redis.call('ZADD', ready, enq, g)
  return 1
end

-- Moves group g's head to the dead-letter stream and lets the group continue.
-- K = {ready, inflight, lease, att, stats, heads, dlq}. Returns advance's result.
local function bury(K, gkey, g, reason, err, now)
  local e = redis.call('LPOP', gkey)
  local id = meta(e)
  local a, s = counts(K[4], id)
  redis.call('XADD', K[7], '*', 'id', id, 'key', g, 'reason', reason, 'attempts', a,
    'snoozes', s, 'error', err, 'at', now, 'msg', e)
  redis.call('HDEL', K[4], id, id .. ':e')
  redis.call('HINCRBY', K[5], 'dead', 1)
  return advance(K[1], K[6], gkey, g)
end
