-- CostBucket: a shared mirror of Shopify's leaky bucket of query-cost points.
--
-- KEYS[1] bucket   hash  avail (points available at 'at'; negative = points promised to
--                        reservations still waiting for them), max, rate (points/s), at (ms),
--                        seq (reservation ids), aseq (answers recorded), inflight (points
--                        of open reservations)
-- KEYS[2] stats    hash  cumulative counters (reserved, refused, settled, throttled,
--                        observed, spent_points, refunded_points, corrected_points)
-- KEYS[3] open     zset  open reservations, member "id:cost", score = lease end (ms): a
--                        reservation whose replica died is forgotten at its lease end
-- KEYS[4] answered zset  recently answered queries Shopify charged, member
--                        "aseq:id:cost", score = when the answer was settled (ms)
--
-- ARGV[1] op  ARGV[2] now (ms)  ARGV[3] configured max  ARGV[4] configured rate
-- ARGV[5] how long answers are kept in KEYS[4] (ms)  ARGV[6..] per op
--
-- Reply: { status, avail now, max, rate, wait ms [, extra] } (numbers as strings)

local bucket, stats, open, answered = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local keep = tonumber(ARGV[5])

local avail, max, rate, at, inflight
do
  local v = redis.call('HMGET', bucket, 'avail', 'max', 'rate', 'at', 'inflight')
  max = tonumber(v[2]) or tonumber(ARGV[3])
  rate = tonumber(v[3]) or tonumber(ARGV[4])
  avail = tonumber(v[1]) or max
  at = tonumber(v[4]) or now
  inflight = tonumber(v[5]) or 0
end

-- Callers read their clocks before their scripts run, so calls arrive with times out of
-- order; the mirror's time never goes back (a step back would count the same refill
-- twice and let the replicas overcommit the bucket).
if now < at then now = at end

-- refill to now
if now > at and rate > 0 then
  avail = avail + rate * (now - at) / 1000
end
if avail > max then avail = max end

local function costOf(member)
  local c = string.match(member, ':([%d%.%-]+)$')
  return tonumber(c) or 0
end

-- forget reservations past their lease (their replica never settled them)
for _, m in ipairs(redis.call('ZRANGEBYSCORE', open, '-inf', now)) do
  inflight = inflight - costOf(m)
end
redis.call('ZREMRANGEBYSCORE', open, '-inf', now)
if inflight < 0 then inflight = 0 end
redis.call('ZREMRANGEBYSCORE', answered, '-inf', now - keep)

local function save()
  redis.call('HSET', bucket, 'avail', tostring(avail), 'max', tostring(max), 'rate', tostring(rate), 'at', now, 'inflight', tostring(inflight))
end

local function reply(status, wait)
  return { status, tostring(avail), tostring(max), tostring(rate), tostring(wait) }
end

-- close removes an open reservation; false when it was already forgotten.
local function close(member)
  if redis.call('ZREM', open, member) == 1 then
    inflight = inflight - costOf(member)
    if inflight < 0 then inflight = 0 end
    return true
  end
  return false
end

-- observe lowers the mirror to what Shopify's view allows, never raises it. Shopify's
-- level (scur at sat, refilled to now) has not yet been charged for the queries still
-- open (reserved, waiting or on the wire) nor, when the status is stale, for the queries
-- answered after this one was sent ('since'): a report that overlaps other replicas'
-- answers counts their points as spent, so it can never let the mirror overcommit. It
-- adopts Shopify's max and rate.
-- Answers stamped in the very millisecond 'since' count unless they were recorded before
-- the reservation was made (aseq <= seen): a tie is counted, never assumed away.
local function observe(smax, scur, srate, sat, since, seen)
  if smax <= 0 or srate < 0 then return end
  if sat > now then sat = now end
  local server = scur + srate * (now - sat) / 1000
  if server > smax then server = smax end
  max = smax
  rate = srate
  if avail > max then avail = max end
  local later = 0
  local xs = redis.call('ZRANGEBYSCORE', answered, since, '+inf', 'WITHSCORES')
  for i = 1, #xs, 2 do
    local n = tonumber(string.match(xs[i], '^(%d+):')) or 0
    if tonumber(xs[i + 1]) > since or n > seen then
      later = later + costOf(xs[i])
    end
  end
  local allowed = server - inflight - later
  if allowed < avail then
    redis.call('HINCRBYFLOAT', stats, 'corrected_points', tostring(avail - allowed))
    avail = allowed
  end
  redis.call('HINCRBY', stats, 'observed', 1)
end

if op == 'reserve' then
  -- ARGV[6] cost, ARGV[7] maximum wait (ms), ARGV[8] lease after the wait (ms).
  -- status 1: reserved, the caller sends after 'wait', extra = reservation id, then the
  -- number of answers recorded so far;
  -- 0: refused, the wait would exceed the maximum; -1: cost exceeds the bucket.
  local cost = tonumber(ARGV[6])
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
  if wait > tonumber(ARGV[7]) then
    redis.call('HINCRBY', stats, 'refused', 1)
    save()
    return reply(0, wait)
  end
  avail = after
  local id = redis.call('HINCRBY', bucket, 'seq', 1)
  redis.call('ZADD', open, now + wait + tonumber(ARGV[8]), id .. ':' .. cost)
  inflight = inflight + cost
  save()
  redis.call('HINCRBY', stats, 'reserved', 1)
  redis.call('HINCRBYFLOAT', stats, 'spent_points', tostring(cost))
  local r = reply(1, wait)
  r[6] = tostring(id)
  r[7] = tostring(tonumber(redis.call('HGET', bucket, 'aseq')) or 0)
  return r
end

if op == 'settle' then
  -- ARGV[6] reservation id, ARGV[7] its cost, ARGV[8] ms it was sent at (no earlier),
  -- ARGV[15] answers recorded when it was reserved, ARGV[9] refund (requested - actual; negative charges more), ARGV[10] kind: ''
  -- (answered), 'throttled' (Shopify refused it, charged nothing), 'cancel' (never
  -- sent), 'unanswered' (sent, may have been charged, no answer); ARGV[11] '1' when a
  -- throttleStatus follows: ARGV[12] max, ARGV[13] currently available, ARGV[14] rate.
  local member = ARGV[6] .. ':' .. ARGV[7]
  local sent = tonumber(ARGV[8])
  local refund = tonumber(ARGV[9])
  local kind = ARGV[10]
  close(member)
  avail = avail + refund
  if avail > max then avail = max end
  if refund ~= 0 then
    redis.call('HINCRBYFLOAT', stats, 'refunded_points', tostring(refund))
  end
  if ARGV[11] == '1' then
    observe(tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14]), now, sent, tonumber(ARGV[15]) or 0)
  end
  if kind == '' or kind == 'unanswered' then
    -- Shopify charged it (or may have): a stale report of another query counts it.
    local n = redis.call('HINCRBY', bucket, 'aseq', 1)
    redis.call('ZADD', answered, now, n .. ':' .. member)
  end
  if kind == 'throttled' then
    redis.call('HINCRBY', stats, 'throttled', 1)
  elseif kind == '' then
    redis.call('HINCRBY', stats, 'settled', 1)
  elseif kind == 'unanswered' then
    redis.call('HINCRBY', stats, 'unanswered', 1)
  end
  save()
  return reply(1, 0)
end

if op == 'observe' then
  -- ARGV[6] max, ARGV[7] currently available, ARGV[8] rate, ARGV[9] ms observed at
  local sat = tonumber(ARGV[9])
  observe(tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), sat, sat, -1)
  save()
  return reply(1, 0)
end

if op == 'stats' then
  save()
  local r = reply(1, 0)
  r[6] = redis.call('HGETALL', stats)
  r[7] = tostring(inflight)
  return r
end

return redis.error_reply('cost bucket: unknown op ' .. tostring(op))
