-- Breaker: a circuit breaker shared by every replica.
--
-- KEYS[1] state  hash  state ('closed' | 'open' | 'half-open'), fails (consecutive
--                      transient failures), until (ms the open period ends), reopens
--                      (failed probes since the breaker opened), probe (token of the one
--                      call let through while half-open), probe_until (ms)
-- KEYS[2] stats  hash  cumulative counters
--
-- ARGV[1] op  ARGV[2] now (ms)  ARGV[3] failures to open  ARGV[4] open period (ms)
-- ARGV[5] maximum open period (ms)  ARGV[6] probe timeout (ms)  ARGV[7] half-open wait (ms)
-- ARGV[8] token (allow: the would-be probe's; success/failure/release: the call's, '' for
-- a call that was not the probe)
--
-- Reply: { allowed or changed (0/1), state after, until (ms), from state, is probe (0/1) }
-- "from state" is non-empty only when this call changed the state.

local st, stats = KEYS[1], KEYS[2]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local threshold = tonumber(ARGV[3])
local openFor = tonumber(ARGV[4])
local maxOpen = tonumber(ARGV[5])
local probeTimeout = tonumber(ARGV[6])
local halfOpenWait = tonumber(ARGV[7])
local token = ARGV[8]

local state = redis.call('HGET', st, 'state') or 'closed'
local untilMs = tonumber(redis.call('HGET', st, 'until') or '0')

local function open(period, from)
  untilMs = now + period
  redis.call('HSET', st, 'state', 'open', 'until', untilMs, 'fails', 0)
  redis.call('HDEL', st, 'probe', 'probe_until')
  redis.call('HINCRBY', stats, 'opens', 1)
  return { 1, 'open', untilMs, from, 0 }
end

if op == 'allow' then
  if state == 'closed' then
    return { 1, 'closed', 0, '', 0 }
  end
  if state == 'open' and now < untilMs then
    redis.call('HINCRBY', stats, 'rejected', 1)
    return { 0, 'open', untilMs, '', 0 }
  end
  -- The open period is over: half-open. Exactly one call probes at a time.
  local probeUntil = tonumber(redis.call('HGET', st, 'probe_until') or '0')
  if redis.call('HEXISTS', st, 'probe') == 1 and probeUntil > now then
    redis.call('HINCRBY', stats, 'rejected', 1)
    local u = now + halfOpenWait
    if probeUntil < u then u = probeUntil end
    return { 0, 'half-open', u, '', 0 }
  end
  redis.call('HSET', st, 'state', 'half-open', 'probe', token, 'probe_until', now + probeTimeout)
  redis.call('HINCRBY', stats, 'probes', 1)
  local from = ''
  if state ~= 'half-open' then from = state end
  return { 1, 'half-open', now + probeTimeout, from, 1 }
end

local isProbe = token ~= '' and redis.call('HGET', st, 'probe') == token

if op == 'success' then
  redis.call('HINCRBY', stats, 'successes', 1)
  if isProbe then
    redis.call('HSET', st, 'state', 'closed', 'fails', 0, 'reopens', 0, 'until', 0)
    redis.call('HDEL', st, 'probe', 'probe_until')
    return { 1, 'closed', 0, 'half-open', 1 }
  end
  if state == 'closed' then redis.call('HSET', st, 'fails', 0) end
  return { 0, state, untilMs, '', 0 }
end

if op == 'failure' then
  redis.call('HINCRBY', stats, 'failures', 1)
  if isProbe then
    local reopens = redis.call('HINCRBY', st, 'reopens', 1)
    local period = openFor
    for i = 1, reopens do
      period = period * 2
      if period >= maxOpen then break end
    end
    if period > maxOpen then period = maxOpen end
    return open(period, 'half-open')
  end
  if state == 'closed' then
    local fails = redis.call('HINCRBY', st, 'fails', 1)
    if fails >= threshold then
      redis.call('HSET', st, 'reopens', 0)
      return open(openFor, 'closed')
    end
  end
  -- A call let through before the breaker opened, or a probe that timed out and was
  -- replaced: its failure changes nothing.
  return { 0, state, untilMs, '', 0 }
end

if op == 'release' then
  -- The probe ended without a verdict (its caller gave up): let another call probe.
  if isProbe then redis.call('HDEL', st, 'probe', 'probe_until') end
  return { 0, state, untilMs, '', 0 }
end

if op == 'state' then
  local fails = tonumber(redis.call('HGET', st, 'fails') or '0')
  local reopens = tonumber(redis.call('HGET', st, 'reopens') or '0')
  return { fails, state, untilMs, reopens, redis.call('HGETALL', stats) }
end

return redis.error_reply('breaker: unknown op ' .. tostring(op))
