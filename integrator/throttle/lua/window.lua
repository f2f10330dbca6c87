-- RollingWindow: at most 'limit' calls in any 'window' ms, across replicas.
--
-- KEYS[1] log    zset  one member per admitted call -> its time (ms), which may lie in the
--                      future: a call admitted to wait for its turn holds that turn
--                      until it asks again when the turn comes. The future members are
--                      at most 'max wait' ahead, so it needs no expiry
-- KEYS[2] ctl    hash  closed_until (ms), reason (the upstream's 429 policy), line (ms:
--                      when the last caller refused was told to come back)
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
if op == 'allow' or op == 'release' then
  -- A caller whose turn has come asks again with the same member: its turn is taken
  -- back and the window looked at afresh (calls settled since may have moved later,
  -- or a 429 closed the window); 'release' only gives the turn back.
  redis.call('ZREM', log, ARGV[5])
  if op == 'release' then
    return { 1, 0, '', 0, {} }
  end
end
local n = redis.call('ZCARD', log)
local closedUntil = tonumber(redis.call('HGET', ctl, 'closed_until') or '0')
local reason = redis.call('HGET', ctl, 'reason') or ''

if op == 'allow' then
  -- ARGV[5] a unique member for this call, ARGV[6] the longest the caller will wait for
  -- its turn (ms; 0: now or never), ARGV[7] '1' when a refused caller comes back later.
  -- The call's turn is the first moment the window holds fewer than 'limit' calls
  -- counting every turn already handed out: when the (n - limit + 1)-th newest call has
  -- left. A turn within the wait is the caller's, so callers that wait take turns
  -- instead of all retrying when one call leaves.
  local at = now
  local why = 'window'
  if closedUntil > now then
    at, why = closedUntil, reason
  elseif n >= limit then
    local m = redis.call('ZRANGE', log, n - limit, n - limit, 'WITHSCORES')
    at = math.max(now, tonumber(m[2]) + window)
  end
  local wait = at - now
  if closedUntil > now or wait > tonumber(ARGV[6] or '0') then
    redis.call('HINCRBY', stats, 'refused', 1)
    if ARGV[7] == '1' then
      -- A place in line (ctl 'line', the last place given): each caller refused is
      -- told to come back one call's share of the window after the one refused before
      -- it, so a backlog of callers returns at the window's pace, not all at once.
      local line = tonumber(redis.call('HGET', ctl, 'line') or '0')
      local back = math.max(line, at) + math.ceil(window / limit)
      redis.call('HSET', ctl, 'line', back)
      wait = back - now
    end
    return { 0, wait, why, n, {} }
  end
  redis.call('ZADD', log, at, ARGV[5])
  if wait == 0 then
    -- counted once, when the call goes (a turn is asked for again when it comes)
    redis.call('HINCRBY', stats, 'allowed', 1)
  end
  return { 1, wait, '', n + 1, {} }
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
  return { 1, wait, reason, redis.call('ZCOUNT', log, '-inf', now), redis.call('HGETALL', stats) }
end

return redis.error_reply('window: unknown op ' .. tostring(op))
