// The protocol operations as Lua scripts: each runs atomically inside Redis, so any number of
// statescope servers on one Redis see one consistent item (read, lock check, update and expiry
// refresh happen in one step; no other client can act in between).
//
// Layout, under a key prefix P (default "statescope:"):
//   P i:<key>   hash: b body, t timeout (min), c lock counter, l locked 0/1, d lock date (Unix ms),
//               u uninitialized 0/1, x logical deadline (Unix ms, 0 = never)
//   P expiries  sorted set: <key> scored by its deadline (items with a timeout only)
//   P sizes     hash: <key> -> body bytes, what the item counts against --max-stored-bytes
//   P bytes     integer: the sum of P sizes
// The item hash carries a real Redis TTL (PEXPIRE, the sliding timeout), so Redis frees an
// abandoned session by itself even when no statescope server runs. The deadline x is the same
// expiry on the clock the caller passes in ARGV[2] (or Redis's own TIME when empty): that
// decides what a request sees, so a test's fake clock behaves exactly like the in-memory store.
// P sizes and P bytes outlive an item Redis expired by TTL until the next access or purge
// settles them.
//
// KEYS: 1 item hash (P i:<key>), 2 expiries, 3 sizes, 4 bytes.  ARGV: 1 key, 2 now (ms or ''),
// then the operation's own arguments (from ARGV 3).
// Replies: {0} missing, {1} done, {2, body, timeout, firstRead 0/1, cookie or -1} found,
// {3, lockDate, now, cookie} locked, {4, storedBytes} full.

const PRELUDE = `
local item, expiries, sizes, total = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local member = ARGV[1]
-- Other items' keys (for the purge) share the prefix of this one's.
local itemPrefix = string.sub(item, 1, #item - #member)
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
local function live()
  local f = redis.call('HMGET', item, 'x', 't', 'c', 'l', 'd', 'u')
  if not f[2] then
    if redis.call('HEXISTS', sizes, member) == 1 then forget(member, item) end
    return nil
  end
  local x = tonumber(f[1])
  if x > 0 and x <= now then
    forget(member, item)
    return nil
  end
  return { t = tonumber(f[2]), c = tonumber(f[3]), l = f[4] == '1', d = tonumber(f[5]), u = f[6] == '1' }
end
local function touch(t)
  if t == 0 then
    redis.call('HSET', item, 'x', '0')
    redis.call('PERSIST', item)
    redis.call('ZREM', expiries, member)
  else
    local x = num(now + t * 60000)
    redis.call('HSET', item, 'x', x)
    redis.call('PEXPIRE', item, num(t * 60000))
    redis.call('ZADD', expiries, x, member)
  end
end
local function locked(it) return { 3, it.d, now, it.c } end
local function purge(limit)
  local names = redis.call('ZRANGEBYSCORE', expiries, '-inf', num(now), 'LIMIT', 0, limit)
  for _, name in ipairs(names) do forget(name, itemPrefix .. name) end
  return #names
end
`;

/** Expired items dropped per script run, so one purge never blocks Redis for long. */
export const PURGE_BATCH = 1000;

/** ARGV 3: '1' for GetExclusive. */
const GET = `
local it = live()
if not it then return { 0 } end
touch(it.t)
if it.l then return locked(it) end
local first = 0
if it.u then
  first = 1
  redis.call('HSET', item, 'u', '0')
end
local cookie = -1
if ARGV[3] == '1' then
  if it.c >= 2147483647 then cookie = 1 else cookie = it.c + 1 end
  redis.call('HSET', item, 'c', num(cookie), 'l', '1', 'd', num(now))
end
return { 2, redis.call('HGET', item, 'b'), it.t, first, cookie }
`;

/** ARGV 3: the request's cookie. */
const RELEASE = `
local it = live()
if not it then return { 0 } end
touch(it.t)
if not it.l then return { 1 } end
if tonumber(ARGV[3]) ~= it.c then return locked(it) end
redis.call('HSET', item, 'l', '0')
return { 1 }
`;

/** ARGV 3: the request's cookie, '' for none. */
const REMOVE = `
local it = live()
if not it then return { 0 } end
touch(it.t)
if it.l and tonumber(ARGV[3]) ~= it.c then return locked(it) end
forget(member, item)
return { 1 }
`;

const RESET_TIMEOUT = `
local it = live()
if not it then return { 0 } end
touch(it.t)
return { 1 }
`;

/** ARGV 3 timeout, 4 cookie ('' none), 5 max stored bytes (-1 none), 6 '1' uninitialized, 7 body. */
const SET = `
local t, cookie, max, body = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[7]
local size = #body
local function stored() return tonumber(redis.call('GET', total)) or 0 end
local function room(freed)
  if max < 0 or stored() - freed + size <= max then return true end
  purge(${PURGE_BATCH})
  return stored() - freed + size <= max
end
local function put(counter, uninit)
  local old = tonumber(redis.call('HGET', sizes, member)) or 0
  -- Every field is written (x by touch), so no DEL first: a replaced entry keeps nothing old.
  redis.call('HSET', item, 'b', body, 't', num(t), 'c', num(counter), 'l', '0', 'd', '0', 'u', uninit)
  redis.call('HSET', sizes, member, size)
  redis.call('INCRBY', total, size - old)
  touch(t)
end
if ARGV[6] == '1' then
  if live() then return { 1 } end
  if not room(0) then return { 4, stored() } end
  put(1, '1')
  return { 1 }
end
local it = live()
if not it then
  if not room(0) then return { 4, stored() } end
  put(1, '0')
  return { 1 }
end
touch(it.t)
if it.l and cookie ~= it.c then return locked(it) end
local old = tonumber(redis.call('HGET', sizes, member)) or 0
if not room(old) then return { 4, stored() } end
if it.t == t then
  redis.call('HSET', item, 'b', body, 'l', '0', 'u', '0')
  redis.call('HSET', sizes, member, size)
  redis.call('INCRBY', total, size - old)
  return { 1 }
end
put(cookie or it.c, '0')
return { 1 }
`;

/** KEYS as above (the item key unused); returns how many expired items were dropped. */
const PURGE = `return purge(${PURGE_BATCH})`;

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
