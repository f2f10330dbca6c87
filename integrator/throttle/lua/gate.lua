-- ConcurrencyGate: a lease-based counting semaphore with a FIFO of waiting tickets.
--
-- KEYS[1] holders  zset  permit id -> lease deadline (ms)
-- KEYS[2] queue    zset  waiting ticket -> arrival sequence number
-- KEYS[3] live     zset  waiting ticket -> liveness deadline (ms); a ticket whose
--                        replica stopped refreshing it is dropped
-- KEYS[4] ctl      hash  eff (effective limit), streak (successes since the last
--                        change), lastdec (ms of the last decrease), seq (ticket counter)
-- KEYS[5] stats    hash  cumulative counters
-- KEYS[6] gone     zset  ticket given up -> until when to remember it (ms): an acquire
--                        for it that reaches Redis late (its caller's call already
--                        failed) must not take a place or a slot nobody will use
--
-- ARGV[1] op   ARGV[2] now (ms)   ARGV[3] limit (configured share)   ARGV[4] lease (ms)
-- ARGV[5] the calling replica's id   ARGV[6] wake channel prefix   ARGV[7..] per op
--
-- A ticket or permit id is "<replica id>.<n>". When a slot frees up, the oldest ticket
-- becomes a holder at once (hand-off), and its replica is told: directly in the reply
-- when it is the caller, by PUBLISH on "<channel prefix><replica id>" otherwise.
--
-- Reply: { status, effective limit, in use, { tickets granted to the caller }, extra }

local holders, queue, live, ctl, stats, gone = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local self = ARGV[5]
local chan = ARGV[6]

local function effective()
  local e = tonumber(redis.call('HGET', ctl, 'eff'))
  if e == nil or e > limit then return limit end
  if e < 1 then return 1 end
  return e
end

-- purge drops expired leases and waiting tickets nobody refreshes.
local function purge()
  local n = redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
  if n > 0 then redis.call('HINCRBY', stats, 'expired', n) end
  local dead = redis.call('ZRANGEBYSCORE', live, '-inf', now)
  for i = 1, #dead do
    redis.call('ZREM', queue, dead[i])
    redis.call('ZREM', live, dead[i])
  end
  if #dead > 0 then redis.call('HINCRBY', stats, 'dropped', #dead) end
  redis.call('ZREMRANGEBYSCORE', gone, '-inf', now)
end

-- grant hands free slots to the oldest tickets.
local function grant(mine)
  local eff = effective()
  local inuse = redis.call('ZCARD', holders)
  while inuse < eff do
    local head = redis.call('ZRANGE', queue, 0, 0)
    if #head == 0 then break end
    local t = head[1]
    redis.call('ZREM', queue, t)
    redis.call('ZREM', live, t)
    redis.call('ZADD', holders, now + lease, t)
    redis.call('HINCRBY', stats, 'acquired', 1)
    inuse = inuse + 1
    local owner = string.match(t, '^([^.]+)%.')
    if owner == self then
      mine[#mine + 1] = t
    else
      redis.call('PUBLISH', chan .. owner, t)
    end
  end
  return eff, inuse
end

local mine = {}
local status = 0
local extra = {}

if op == 'acquire' then
  -- ARGV[7] ticket, ARGV[8] '1' to wait in line, ARGV[9] ticket liveness ttl (ms)
  local ticket = ARGV[7]
  purge()
  local eff, inuse = grant(mine)
  if redis.call('ZSCORE', gone, ticket) then
    return { -1, eff, inuse, mine, extra }
  end
  if redis.call('ZSCORE', holders, ticket) then
    -- already handed over (grant() above, or earlier): the reply's list has it
    return { 0, eff, inuse, mine, extra }
  end
  if redis.call('ZSCORE', queue, ticket) then
    return { 0, eff, inuse, mine, extra }
  end
  if inuse < eff then
    -- grant() emptied the line, so nobody is ahead of this caller
    redis.call('ZADD', holders, now + lease, ticket)
    redis.call('HINCRBY', stats, 'acquired', 1)
    return { 1, eff, inuse + 1, mine, extra }
  end
  if ARGV[8] == '1' then
    local seq = redis.call('HINCRBY', ctl, 'seq', 1)
    redis.call('ZADD', queue, seq, ticket)
    redis.call('ZADD', live, now + tonumber(ARGV[9]), ticket)
    redis.call('HINCRBY', stats, 'queued', 1)
  end
  return { 0, eff, inuse, mine, extra }
end

if op == 'release' then
  -- ARGV[7..] permit ids to give back; status = how many were held
  for i = 7, #ARGV do
    status = status + redis.call('ZREM', holders, ARGV[i])
  end
  purge()
  local eff, inuse = grant(mine)
  return { status, eff, inuse, mine, extra }
end

if op == 'cancel' then
  -- ARGV[7] how long to remember the tickets (ms), ARGV[8] '1' to count them as
  -- timeouts, ARGV[9..] tickets of waiters that gave up (or whose calls failed). Their
  -- places in line, and slots granted to them meanwhile, are given back.
  -- status = how many had been granted a slot.
  local ttl = tonumber(ARGV[7])
  for i = 9, #ARGV do
    local t = ARGV[i]
    redis.call('ZREM', queue, t)
    redis.call('ZREM', live, t)
    status = status + redis.call('ZREM', holders, t)
    redis.call('ZADD', gone, now + ttl, t)
  end
  if ARGV[8] == '1' then redis.call('HINCRBY', stats, 'timeouts', #ARGV - 8) end
  purge()
  local eff, inuse = grant(mine)
  return { status, eff, inuse, mine, extra }
end

if op == 'poll' then
  -- ARGV[7] liveness ttl (ms), ARGV[8..] the caller's waiting tickets. Refreshes those
  -- in line and reports, in extra, { tickets now holding a slot, tickets no longer
  -- anywhere }. A ticket is no longer anywhere when it was dropped for want of
  -- refreshing, or when it was granted and already released before this poll ran; the
  -- caller tells the two apart (a waiter still waiting had its ticket dropped).
  local ttl = tonumber(ARGV[7])
  purge()
  local eff, inuse = grant(mine)
  local held, lost = {}, {}
  for i = 8, #ARGV do
    local t = ARGV[i]
    if redis.call('ZSCORE', queue, t) then
      redis.call('ZADD', live, now + ttl, t)
    elseif redis.call('ZSCORE', holders, t) then
      held[#held + 1] = t
    elseif not redis.call('ZSCORE', gone, t) then
      lost[#lost + 1] = t
    end
  end
  return { 0, eff, inuse, mine, { held, lost } }
end

if op == 'extend' then
  -- ARGV[7..] permit ids; extra[i] = 1 when still held (lease renewed), else 0
  purge()
  for i = 7, #ARGV do
    if redis.call('ZSCORE', holders, ARGV[i]) then
      redis.call('ZADD', holders, 'XX', now + lease, ARGV[i])
      extra[#extra + 1] = 1
    else
      extra[#extra + 1] = 0
    end
  end
  local eff, inuse = grant(mine)
  return { 0, eff, inuse, mine, extra }
end

if op == 'throttled' then
  -- ARGV[7] cool-down (ms), ARGV[8] decrease factor. Multiplicative decrease, floor 1,
  -- at most once per cool-down. status = 1 when the limit shrank.
  redis.call('HINCRBY', stats, 'throttled', 1)
  local eff = effective()
  local last = tonumber(redis.call('HGET', ctl, 'lastdec'))
  if last == nil or now - last >= tonumber(ARGV[7]) then
    local e = math.floor(eff * tonumber(ARGV[8]))
    if e < 1 then e = 1 end
    redis.call('HSET', ctl, 'eff', e, 'streak', 0, 'lastdec', now)
    if e < eff then
      redis.call('HINCRBY', stats, 'decreases', 1)
      status = 1
    end
    eff = e
  end
  return { status, eff, redis.call('ZCARD', holders), mine, extra }
end

if op == 'succeeded' then
  -- ARGV[7] successes needed for +1. Additive increase, never above the limit.
  local eff = effective()
  if eff < limit then
    local streak = redis.call('HINCRBY', ctl, 'streak', 1)
    if streak >= tonumber(ARGV[7]) then
      redis.call('HSET', ctl, 'eff', eff + 1, 'streak', 0)
      redis.call('HINCRBY', stats, 'increases', 1)
      status = 1
    end
  end
  purge()
  local e, inuse = grant(mine)
  return { status, e, inuse, mine, extra }
end

if op == 'stats' then
  purge()
  local eff, inuse = grant(mine)
  extra = redis.call('HGETALL', stats)
  return { redis.call('ZCARD', queue), eff, inuse, mine, extra }
end

return redis.error_reply('gate: unknown op ' .. tostring(op))
