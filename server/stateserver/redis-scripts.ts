// The protocol operations as Lua scripts: each runs atomically inside Redis, so any number of
// statescope servers on one Redis see one consistent item (read, lock check, update and expiry
// refresh happen in one step; no other client can act in between).
//
// Layout, under a key prefix P (default "statescope:"):
//   P i:<key>   hash: b body, t timeout (min), c lock counter, l locked 0/1, d lock date (Unix ms),
//               u uninitialized 0/1, x logical deadline (Unix ms, 0 = never), z the item's score
//               in P expiries (0 = not in it)
//   P expiries  sorted set: <key> scored by a time at or before its deadline (items with a
//               timeout only); see "Lazy scores" below
//   P sizes     hash: <key> -> body bytes, what the item counts against --max-stored-bytes
//   P bytes     integer: the sum of P sizes
// The item hash carries a real Redis TTL (PEXPIRE, the sliding timeout), so Redis frees an
// abandoned session by itself even when no statescope server runs. The deadline x is the same
// expiry on the clock the caller passes in ARGV[2] (or Redis's own TIME when empty): that
// decides what a request sees, so a test's fake clock behaves exactly like the in-memory store.
// P sizes and P bytes outlive an item Redis expired by TTL until the next access or purge
// settles them.
//
// Lazy scores: every read slides the deadline, but rewriting the sorted set on every request
// would cost each one a ZADD. A score only has to be no later than the deadline, so the purge
// never misses an expired item: a touch moves the score only when the deadline moves earlier
// than it (a clock stepped back), and the purge, meeting an item whose score has passed but
// whose deadline has not, moves the score to the deadline instead of dropping the item.
//
// Cost: each redis.call costs about a microsecond of Redis CPU whatever it does, so every
// operation reads the item with one HMGET and writes it with one HSET.
//
// KEYS: 1 item hash (P i:<key>), 2 expiries, 3 sizes, 4 bytes.  ARGV: 1 key, 2 now (ms or ''),
// then the operation's own arguments (from ARGV 3).
// Replies: {0} missing, {1} done, {2, body, timeout, firstRead 0/1, cookie or -1} found,
// {3, lockDate, now, cookie} locked, {4, storedBytes} full.

const PRELUDE = `
local item, expiries, sizes, total = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local member = ARGV[1]
local now = tonumber(ARGV[2])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function num(x) return string.format('%.0f', x) end
local function forget(name, key)
  local n = tonumber(redis.call('HGET', sizes, name))
  redis.call('DEL', key)
  redis.call('ZREM', expiries, name)
  if n then
    redis.call('HDEL', sizes, name)
    redis.call('DECRBY', total, n)
  end
end
-- The live item (its body too when withBody), or nil; an expired one is forgotten on the way.
local function live(withBody)
  local f
  if withBody then
    f = redis.call('HMGET', item, 'x', 't', 'c', 'l', 'd', 'u', 'z', 'b')
  else
    f = redis.call('HMGET', item, 'x', 't', 'c', 'l', 'd', 'u', 'z')
  end
  if not f[2] then
    if redis.call('HEXISTS', sizes, member) == 1 then forget(member, item) end
    return nil
  end
  local x = tonumber(f[1])
  if x > 0 and x <= now then
    forget(member, item)
    return nil
  end
  return { t = tonumber(f[2]), c = tonumber(f[3]), l = f[4] == '1', d = tonumber(f[5]), u = f[6] == '1',
    z = tonumber(f[7]) or 0, b = f[8] }
end
-- Slides the expiry of a live item, writing the field/value pairs in extra (or none) with the
-- deadline in the same HSET.
local function touch(it, extra)
  extra = extra or {}
  if it.t == 0 then
    -- No sliding expiry: x stays 0 and the item has no TTL and no score (set when it was put).
    if #extra > 0 then redis.call('HSET', item, unpack(extra)) end
    return
  end
  local x = now + it.t * 60000
  local xs = num(x)
  if it.z == 0 or x < it.z then
    redis.call('ZADD', expiries, xs, member)
    redis.call('HSET', item, 'x', xs, 'z', xs, unpack(extra))
  else
    redis.call('HSET', item, 'x', xs, unpack(extra))
  end
  redis.call('PEXPIRE', item, num(it.t * 60000))
end
local function locked(it) return { 3, it.d, now, it.c } end
-- Looks at up to limit items whose score has passed: drops the expired ones, re-scores the
-- others. Returns how many it looked at and how many it dropped.
local function purge(limit)
  -- Other items' keys share the prefix of this one's.
  local itemPrefix = string.sub(item, 1, #item - #member)
  local names = redis.call('ZRANGEBYSCORE', expiries, '-inf', num(now), 'LIMIT', 0, limit)
  local dropped = 0
  for _, name in ipairs(names) do
    local key = itemPrefix .. name
    local x = tonumber(redis.call('HGET', key, 'x'))
    if x and x > now then
      local xs = num(x)
      redis.call('ZADD', expiries, xs, name)
      redis.call('HSET', key, 'z', xs)
    elseif x == 0 then
      -- Never expires (its timeout became 0): it has no business in the set.
      redis.call('ZREM', expiries, name)
      redis.call('HSET', key, 'z', '0')
    else
      forget(name, key)
      dropped = dropped + 1
    end
  end
  return #names, dropped
end
`;

/** Items looked at per purge step, so one purge never blocks Redis for long. */
export const PURGE_BATCH = 1000;
/** Purge steps a Set that does not fit may take before it is refused. */
const ROOM_PURGE_STEPS = 10;

/** ARGV 3: '1' for GetExclusive. */
const GET = `
local it = live(true)
if not it then return { 0 } end
if it.l then
  touch(it)
  return locked(it)
end
local extra = {}
local first = 0
if it.u then
  first = 1
  extra = { 'u', '0' }
end
local cookie = -1
if ARGV[3] == '1' then
  if it.c >= 2147483647 then cookie = 1 else cookie = it.c + 1 end
  extra[#extra + 1] = 'c'
  extra[#extra + 1] = num(cookie)
  extra[#extra + 1] = 'l'
  extra[#extra + 1] = '1'
  extra[#extra + 1] = 'd'
  extra[#extra + 1] = num(now)
end
touch(it, extra)
return { 2, it.b, it.t, first, cookie }
`;

/** ARGV 3: the request's cookie. */
const RELEASE = `
local it = live(false)
if not it then return { 0 } end
if not it.l then
  touch(it)
  return { 1 }
end
if tonumber(ARGV[3]) ~= it.c then
  touch(it)
  return locked(it)
end
touch(it, { 'l', '0' })
return { 1 }
`;

/** ARGV 3: the request's cookie, '' for none. */
const REMOVE = `
local it = live(false)
if not it then return { 0 } end
if it.l and tonumber(ARGV[3]) ~= it.c then
  touch(it)
  return locked(it)
end
forget(member, item)
return { 1 }
`;

const RESET_TIMEOUT = `
local it = live(false)
if not it then return { 0 } end
touch(it)
return { 1 }
`;

/** ARGV 3 timeout, 4 cookie ('' none), 5 max stored bytes (-1 none), 6 '1' uninitialized, 7 body. */
const SET = `
local t, cookie, max, body = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[7]
local size = #body
local function stored() return tonumber(redis.call('GET', total)) or 0 end
local function room(freed)
  if max < 0 or stored() - freed + size <= max then return true end
  for _ = 1, ${ROOM_PURGE_STEPS} do
    local looked = purge(${PURGE_BATCH})
    if stored() - freed + size <= max then return true end
    if looked < ${PURGE_BATCH} then return false end
  end
  return false
end
-- Counts the item's new size; old is what P sizes held for it (nil: nothing).
local function count(old)
  if old ~= size then
    redis.call('HSET', sizes, member, size)
    redis.call('INCRBY', total, size - (old or 0))
  end
end
-- A new cache entry: every field written, so a replaced entry keeps nothing old. old as for count.
local function put(counter, uninit, old)
  if t == 0 then
    redis.call('HSET', item, 'b', body, 't', '0', 'c', num(counter), 'l', '0', 'd', '0', 'u', uninit, 'x', '0', 'z', '0')
    redis.call('PERSIST', item)
    redis.call('ZREM', expiries, member)
  else
    local xs = num(now + t * 60000)
    redis.call('HSET', item, 'b', body, 't', num(t), 'c', num(counter), 'l', '0', 'd', '0', 'u', uninit, 'x', xs, 'z', xs)
    redis.call('PEXPIRE', item, num(t * 60000))
    redis.call('ZADD', expiries, xs, member)
  end
  count(old)
end
-- live() returning nil has forgotten any P sizes entry the key had, so a new item has no old size.
if ARGV[6] == '1' then
  if live(false) then return { 1 } end
  if not room(0) then return { 4, stored() } end
  put(1, '1')
  return { 1 }
end
local it = live(false)
if not it then
  if not room(0) then return { 4, stored() } end
  put(1, '0')
  return { 1 }
end
if it.l and cookie ~= it.c then
  touch(it)
  return locked(it)
end
local old = tonumber(redis.call('HGET', sizes, member))
if not room(old or 0) then
  touch(it)
  return { 4, stored() }
end
if it.t == t then
  touch(it, { 'b', body, 'l', '0', 'u', '0' })
  count(old)
  return { 1 }
end
put(cookie or it.c, '0', old)
return { 1 }
`;

/** KEYS as above (the item key unused): {looked at, dropped}, at most PURGE_BATCH looked at. */
const PURGE = `return { purge(${PURGE_BATCH}) }`;

/** Read-only totals: items counted and their bytes. */
const STATS = `return { redis.call('HLEN', KEYS[3]), tonumber(redis.call('GET', KEYS[4])) or 0 }`;

// Script flags (Redis 7.0+). With maxmemory and noeviction, Redis refuses scripts without
// allow-oom while it is over the limit. Only Set may be refused that way (and is answered 500,
// like our own ceiling); reads, locks, removes and purges must keep working on a full Redis,
// since they only refresh an expiry or free memory.
const STORES_DATA = '#!lua\n';
const KEEPS_WORKING_WHEN_FULL = '#!lua flags=allow-oom\n';
const READ_ONLY = '#!lua flags=no-writes,allow-oom\n';

export const SCRIPTS = {
  ssGet: KEEPS_WORKING_WHEN_FULL + PRELUDE + GET,
  ssRelease: KEEPS_WORKING_WHEN_FULL + PRELUDE + RELEASE,
  ssRemove: KEEPS_WORKING_WHEN_FULL + PRELUDE + REMOVE,
  ssResetTimeout: KEEPS_WORKING_WHEN_FULL + PRELUDE + RESET_TIMEOUT,
  ssSet: STORES_DATA + PRELUDE + SET,
  ssPurge: KEEPS_WORKING_WHEN_FULL + PRELUDE + PURGE,
  ssStats: READ_ONLY + STATS,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
