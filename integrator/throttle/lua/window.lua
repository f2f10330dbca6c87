-- RollingWindow: at most 'limit' calls in any 'window' ms, across replicas.
--
-- KEYS[1] log    zset  one member per admitted call -> its time (ms); never more than
--                      'limit' members, so it needs no expiry
-- KEYS[2] ctl    hash  closed_until (ms), reason (the upstream's 429 policy)
-- KEYS[3] stats  hash  cumulative counters (allowed, refused, rejected_rolling,
--                      rejected_daily)
--
-- ARGV[1] op  ARGV[2] now (ms)  ARGV[3] limit  ARGV[4] window (ms)  ARGV[5..] per op
--
-- A call made at t counts while now < t + window: at t + window exactly it has left.
-- Reply: { allowed (0/1), wait ms, reason, calls in the window, extra }

local log, ctl, stats = KEYS[1], KEYS[2], KEYS[3]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local window = tonumber(ARGV[4])

redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
local n = redis.call('ZCARD', log)
local closedUntil = tonumber(redis.call('HGET', ctl, 'closed_until') or '0')
local reason = redis.call('HGET', ctl, 'reason') or ''

if op == 'allow' then
  -- ARGV[5] a unique member for this call
  if closedUntil > now then
    redis.call('HINCRBY', stats, 'refused', 1)
    return { 0, closedUntil - now, reason, n, {} }
  end
  if n < limit then
    redis.call('ZADD', log, now, ARGV[5])
    redis.call('HINCRBY', stats, 'allowed', 1)
    return { 1, 0, '', n + 1, {} }
  end
  local oldest = redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')
  local wait = tonumber(oldest[2]) + window - now
  redis.call('HINCRBY', stats, 'refused', 1)
  return { 0, wait, 'window', n, {} }
end

if op == 'close' then
  -- ARGV[5] until (ms), ARGV[6] reason, ARGV[7] stats counter
  local u = tonumber(ARGV[5])
  if u > closedUntil then
    redis.call('HSET', ctl, 'closed_until', u, 'reason', ARGV[6])
    closedUntil = u
    reason = ARGV[6]
  end
  redis.call('HINCRBY', stats, ARGV[7], 1)
  return { 0, closedUntil - now, reason, n, {} }
end

if op == 'settle' then
  -- ARGV[5] the call's member: its time becomes now (never earlier than it was), so it
  -- leaves the window a full window after its answer came, whenever the upstream counted it
  local at = redis.call('ZSCORE', log, ARGV[5])
  if at and tonumber(at) < now then
    redis.call('ZADD', log, now, ARGV[5])
  end
  return { 1, 0, '', n, {} }
end

if op == 'stats' then
  local wait = 0
  if closedUntil > now then wait = closedUntil - now else reason = '' end
  return { 1, wait, reason, n, redis.call('HGETALL', stats) }
end

return redis.error_reply('window: unknown op ' .. tostring(op))
