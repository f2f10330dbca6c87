-- DailyAllocation: Salesforce's rolling 24 h API allocation, guarded with headroom.
--
-- KEYS[1] alloc  hash  used (estimated org usage at 'at'), limit (org allocation; absent
--                      = unknown), at (ms), rate (estimated roll-off, calls per ms),
--                      closed_until (ms), reason
-- KEYS[2] stats  hash  cumulative counters (taken, refused, observed, limit_exceeded)
--
-- ARGV[1] op  ARGV[2] now (ms)  ARGV[3] headroom (fraction kept for others)
-- ARGV[4] window (ms)  ARGV[5] minimum wait (ms)  ARGV[6] configured allocation (0 =
-- unknown until the first header)  ARGV[7..] per op
--
-- Between observations the estimate decays at 'rate' = observed usage / window: the
-- usage is assumed spread evenly over the window, so that much rolls off per ms. Each
-- take adds one. Every observed header replaces the estimate.
--
-- Reply: { status, wait ms, reason, estimated usage (string), limit, ceiling, extra }

local alloc, stats = KEYS[1], KEYS[2]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local headroom = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local minWait = tonumber(ARGV[5])

local v = redis.call('HMGET', alloc, 'used', 'limit', 'at', 'rate', 'closed_until', 'reason')
local used = tonumber(v[1]) or 0
local limit = tonumber(v[2]) or tonumber(ARGV[6])
local at = tonumber(v[3]) or now
local rate = tonumber(v[4]) or 0
local closedUntil = tonumber(v[5]) or 0
local reason = v[6] or ''

local est = used
if now > at then est = used - rate * (now - at) end
if est < 0 then est = 0 end

local function ceiling()
  if limit <= 0 then return -1 end
  return math.floor(limit * (1 - headroom) + 1e-6)
end

local function reply(status, wait, why, extra)
  return { status, wait, why, tostring(est), limit, ceiling(), extra or {} }
end

if op == 'take' then
  if closedUntil > now then
    redis.call('HINCRBY', stats, 'refused', 1)
    return reply(0, closedUntil - now, reason)
  end
  local c = ceiling()
  if c >= 0 and est + 1 > c then
    local wait = window
    if rate > 0 then wait = math.ceil((est + 1 - c) / rate) end
    if wait < minWait then wait = minWait end
    if wait > window then wait = window end
    redis.call('HINCRBY', stats, 'refused', 1)
    return reply(0, wait, 'share')
  end
  est = est + 1
  redis.call('HSET', alloc, 'used', tostring(est), 'at', now, 'rate', tostring(rate))
  redis.call('HINCRBY', stats, 'taken', 1)
  return reply(1, 0, '')
end

if op == 'observe' then
  -- ARGV[7] used, ARGV[8] limit, both from api-usage=used/limit
  est = tonumber(ARGV[7])
  limit = tonumber(ARGV[8])
  rate = est / window
  redis.call('HSET', alloc, 'used', tostring(est), 'limit', limit, 'at', now, 'rate', tostring(rate))
  redis.call('HINCRBY', stats, 'observed', 1)
  return reply(1, 0, '')
end

if op == 'exceeded' then
  -- ARGV[7] how long to stay closed (ms)
  local u = now + tonumber(ARGV[7])
  if u > closedUntil then
    redis.call('HSET', alloc, 'closed_until', u, 'reason', 'REQUEST_LIMIT_EXCEEDED')
    closedUntil = u
  end
  redis.call('HINCRBY', stats, 'limit_exceeded', 1)
  return reply(0, closedUntil - now, 'REQUEST_LIMIT_EXCEEDED')
end

if op == 'stats' then
  local wait = 0
  if closedUntil > now then wait = closedUntil - now end
  return reply(1, wait, reason, redis.call('HGETALL', stats))
end

return redis.error_reply('allocation: unknown op ' .. tostring(op))
