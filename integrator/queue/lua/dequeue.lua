-- KEYS: 1 ready, 2 inflight, 3 lease, 4 att, 5 stats
-- ARGV: 1 group key prefix, 2 now ms, 3 lease deadline ms, 4 max groups
-- Takes up to max due groups, oldest score first, leases each and counts the attempt of
-- its head. Returns a flat list: group, token, packed counter, element; ...
local gs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[4]))
if #gs == 0 then
  return {}
end
redis.call('ZREM', KEYS[1], unpack(gs))
local out = {}
for _, g in ipairs(gs) do
  local e = redis.call('LINDEX', ARGV[1] .. g, 0)
  if e then
    local tok = redis.call('HINCRBY', KEYS[5], 'seq', 1)
    redis.call('ZADD', KEYS[2], ARGV[3], g)
    redis.call('HSET', KEYS[3], g, tok)
    local v = redis.call('HINCRBY', KEYS[4], meta(e), 1)
    out[#out + 1] = g
    out[#out + 1] = tok
    out[#out + 1] = v
    out[#out + 1] = e
  end
end
return out
