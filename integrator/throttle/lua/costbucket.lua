-- CostBucket: a shared mirror of Shopify's leaky bucket of query-cost points.
--
-- KEYS[1] bucket  hash  avail (points available at 'at'; negative = points promised to
--                       reservations still waiting for them), max, rate (points/s), at (ms)
-- KEYS[2] stats   hash  cumulative counters (reserved, refused, settled, throttled,
--                       observed, spent_points, refunded_points, corrected_points)
--
-- ARGV[1] op  ARGV[2] now (ms)  ARGV[3] configured max  ARGV[4] configured rate
-- ARGV[5..] per op
--
-- Reply: { status, avail now, max, rate, wait ms } (numbers as strings)

local bucket, stats = KEYS[1], KEYS[2]
local op = ARGV[1]
local now = tonumber(ARGV[2])

local avail, max, rate, at
do
  local v = redis.call('HMGET', bucket, 'avail', 'max', 'rate', 'at')
  max = tonumber(v[2]) or tonumber(ARGV[3])
  rate = tonumber(v[3]) or tonumber(ARGV[4])
  avail = tonumber(v[1]) or max
  at = tonumber(v[4]) or now
end

-- refill to now
if now > at and rate > 0 then
  avail = avail + rate * (now - at) / 1000
end
if avail > max then avail = max end

local function save()
  redis.call('HSET', bucket, 'avail', tostring(avail), 'max', tostring(max), 'rate', tostring(rate), 'at', now)
end

local function reply(status, wait)
  return { status, tostring(avail), tostring(max), tostring(rate), tostring(wait) }
end

-- observe lowers the mirror to the server's view (never raises it: the mirror already
-- counts reservations the server has not seen yet) and adopts its max and rate.
local function observe(smax, scur, srate, sat)
  if smax <= 0 or srate < 0 then return end
  if sat > now then sat = now end
  local server = scur + srate * (now - sat) / 1000
  if server > smax then server = smax end
  max = smax
  rate = srate
  if avail > max then avail = max end
  if server < avail then
    redis.call('HINCRBYFLOAT', stats, 'corrected_points', tostring(avail - server))
    avail = server
  end
  redis.call('HINCRBY', stats, 'observed', 1)
end

if op == 'reserve' then
  -- ARGV[5] cost, ARGV[6] maximum wait (ms). status 1: reserved, the caller sends after
  -- 'wait'; 0: refused, the wait would exceed the maximum; -1: cost exceeds the bucket.
  local cost = tonumber(ARGV[5])
  if cost > max then
    return reply(-1, 0)
  end
  local after = avail - cost
  local wait = 0
  if after < 0 then
    if rate <= 0 then
      redis.call('HINCRBY', stats, 'refused', 1)
      return reply(0, -1)
    end
    wait = math.ceil(-after * 1000 / rate)
  end
  if wait > tonumber(ARGV[6]) then
    redis.call('HINCRBY', stats, 'refused', 1)
    return reply(0, wait)
  end
  avail = after
  save()
  redis.call('HINCRBY', stats, 'reserved', 1)
  redis.call('HINCRBYFLOAT', stats, 'spent_points', tostring(cost))
  return reply(1, wait)
end

if op == 'settle' then
  -- ARGV[5] refund (requested - actual; negative charges more), ARGV[6] '1' when a
  -- throttleStatus follows: ARGV[7] max, ARGV[8] currently available, ARGV[9] rate,
  -- ARGV[10] ms it was observed at; ARGV[11] 'throttled' when Shopify refused the call.
  local refund = tonumber(ARGV[5])
  avail = avail + refund
  if avail > max then avail = max end
  if refund ~= 0 then
    redis.call('HINCRBYFLOAT', stats, 'refunded_points', tostring(refund))
  end
  if ARGV[6] == '1' then
    observe(tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]))
  end
  if ARGV[11] == 'throttled' then
    redis.call('HINCRBY', stats, 'throttled', 1)
  elseif ARGV[11] ~= 'cancel' then
    redis.call('HINCRBY', stats, 'settled', 1)
  end
  save()
  return reply(1, 0)
end

if op == 'observe' then
  observe(tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]))
  save()
  return reply(1, 0)
end

if op == 'stats' then
  local r = reply(1, 0)
  r[6] = redis.call('HGETALL', stats)
  return r
end

return redis.error_reply('cost bucket: unknown op ' .. tostring(op))
