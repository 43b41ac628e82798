// The protocol operations as Lua scripts run atomically inside Redis, so any number of statescope
// servers on one Redis see one consistent item (read, lock check, update and expiry refresh
// happen in one step; no other client can act in between).
//
// Layout, under a key prefix P (default "statescope:"):
//   P i:<key>   hash: b body, t timeout (min), c lock counter, l locked 0/1, d lock date (Unix ms),
//               u uninitialized 0/1, x logical deadline (Unix ms, 0 = never), z the item's score
//               in P expiries (0 = not in it), s body bytes (as in P sizes, read with the rest)
//   P expiries  sorted set: <key> scored by a time at or before its deadline (items with a
//               timeout only); see "Lazy scores" below
//   P sizes     hash: <key> -> body bytes, what the item counts against --max-stored-bytes
//   P bytes     integer: the sum of P sizes
// The item hash carries a real Redis TTL (PEXPIRE, the sliding timeout), so Redis frees an
// abandoned session by itself even when no statescope server runs. The deadline x is the same
// expiry on the clock the caller passes with each operation (Redis's own TIME when it passes '-'):
// that decides what a request sees, so a test's fake clock behaves exactly like the in-memory
// store. P sizes and P bytes outlive an item Redis expired by TTL until the next access or
// purge settles them.
//
// Lazy scores: every read slides the deadline, but rewriting the sorted set on every request
// would cost each one a ZADD. A score only has to be no later than the deadline, so the purge
// never misses an expired item: a touch moves the score only when the deadline moves earlier
// than it (a clock stepped back), and the purge, meeting an item whose score has passed but
// whose deadline has not, moves the score to the deadline instead of dropping the item.
//
// Batches: each redis.call, and each script run, costs Redis about a microsecond whatever it
// does, and each command costs the statescope process a command object, its encoding and its
// reply. So every operation reads its item with one HMGET and writes it with one HSET, and the
// operations one server receives in one event-loop turn go to Redis as one script run (a batch),
// executed one after the other, each to completion, in the order given. A batch is atomic as a
// whole, so each operation in it is too.
//
// Batch scripts: KEYS 1 expiries, 2 sizes, 3 bytes, then one item hash (P i:<key>) per operation.
// ARGV 1 the item key prefix (P i:, so each item's key is its KEYS name without it); ARGV 2 the
// operations, one per item key, in KEYS order, separated by ';', each its code, now (Unix ms
// on the caller's clock, or '-' for Redis's TIME) and its own arguments, separated by spaces
// ('-' for none); then the bodies of the batch's Sets, in order. One string for all the small
// arguments because each argument costs the statescope process more to encode than Lua takes
// to split it. Operations:
//   g  Get           exclusive 1 / 0
//   r  Release       cookie
//   d  Remove        cookie or -
//   h  ResetTimeout  (nothing)
//   s  Set           timeout (min), cookie or -, max stored bytes (-1 none), uninitialized 1 / 0
// Reply: the operations' replies, in order, in one flat array (cheaper to decode than nested
// ones): 0 missing; 1 done; 2, body, timeout, firstRead 0/1, cookie or -1: found;
// 3, lockDate, now, cookie: locked; 4, storedBytes: full.

/** Items looked at per purge step, so one purge never blocks Redis for long. */
export const PURGE_BATCH = 1000;
/** Purge steps a Set that does not fit may take before it is refused. */
const ROOM_PURGE_STEPS = 10;

const PRELUDE = `
local expiries, sizes, total = KEYS[1], KEYS[2], KEYS[3]
local redisNow
-- The time of the operation at hand (set by clock() before each one).
local now
local function clock(given)
  local n = tonumber(given)
  if n ~= nil then return n end
  if redisNow == nil then
    local t = redis.call('TIME')
    redisNow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return redisNow
end
local function num(x) return string.format('%.0f', x) end
local function stored() return tonumber(redis.call('GET', total)) or 0 end
local function forget(name, key)
  local n = tonumber(redis.call('HGET', sizes, name))
  redis.call('DEL', key)
  redis.call('ZREM', expiries, name)
  if n then
    redis.call('HDEL', sizes, name)
    redis.call('DECRBY', total, n)
  end
end
-- The live item (its body too when withBody), or nil; an expired one is forgotten on the way,
-- and so is the P sizes entry of one Redis already dropped by TTL.
local function live(item, member, withBody)
  local f
  if withBody then
    f = redis.call('HMGET', item, 'x', 't', 'c', 'l', 'd', 'u', 'z', 's', 'b')
  else
    f = redis.call('HMGET', item, 'x', 't', 'c', 'l', 'd', 'u', 'z', 's')
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
  -- d (lock date) and s (size) stay text until someone needs them.
  return { t = tonumber(f[2]), c = tonumber(f[3]), l = f[4] == '1', d = f[5], u = f[6] == '1',
    z = tonumber(f[7]) or 0, s = f[8], b = f[9] }
end
-- Slides the expiry of a live item, writing the field/value pairs in extra (nil: none) with the
-- deadline in the same HSET. Numbers go to redis.call as they are (Lua formats them with 14
-- significant digits: exact for Unix ms until the year 5138), sparing a string.format each.
local NO_EXTRA = {}
local function touch(item, member, it, extra)
  local t = it.t
  if t == 0 then
    -- No sliding expiry: x stays 0 and the item has no TTL and no score (set when it was put).
    if extra then redis.call('HSET', item, unpack(extra)) end
    return
  end
  local ttl = t * 60000
  local x = now + ttl
  if it.z == 0 or x < it.z then
    redis.call('ZADD', expiries, x, member)
    redis.call('HSET', item, 'x', x, 'z', x, unpack(extra or NO_EXTRA))
  else
    redis.call('HSET', item, 'x', x, unpack(extra or NO_EXTRA))
  end
  redis.call('PEXPIRE', item, ttl)
end
local function locked(it) return { 3, tonumber(it.d), now, it.c } end
-- Looks at up to limit items whose score has passed: drops the expired ones, re-scores the
-- others. Returns how many it looked at and how many it dropped.
local function purge(itemPrefix, limit)
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

const OPERATIONS = `
local function get(item, member, exclusive)
  local it = live(item, member, true)
  if not it then return { 0 } end
  if it.l then
    touch(item, member, it)
    return locked(it)
  end
  local first = 0
  if it.u then first = 1 end
  local cookie = -1
  local extra = nil
  if exclusive then
    if it.c >= 2147483647 then cookie = 1 else cookie = it.c + 1 end
    if it.u then
      extra = { 'u', '0', 'c', cookie, 'l', '1', 'd', now }
    else
      extra = { 'c', cookie, 'l', '1', 'd', now }
    end
  elseif it.u then
    extra = { 'u', '0' }
  end
  touch(item, member, it, extra)
  return { 2, it.b, it.t, first, cookie }
end

local function release(item, member, cookie)
  local it = live(item, member, false)
  if not it then return { 0 } end
  if not it.l then
    touch(item, member, it)
    return { 1 }
  end
  if cookie ~= it.c then
    touch(item, member, it)
    return locked(it)
  end
  touch(item, member, it, { 'l', '0' })
  return { 1 }
end

local function remove(item, member, cookie)
  local it = live(item, member, false)
  if not it then return { 0 } end
  if it.l and cookie ~= it.c then
    touch(item, member, it)
    return locked(it)
  end
  forget(member, item)
  return { 1 }
end

local function resetTimeout(item, member)
  local it = live(item, member, false)
  if not it then return { 0 } end
  touch(item, member, it)
  return { 1 }
end

local function set(item, member, itemPrefix, t, cookie, max, uninitialized, body)
  local size = #body
  local function room(freed)
    if max < 0 or stored() - freed + size <= max then return true end
    for _ = 1, ${ROOM_PURGE_STEPS} do
      local looked = purge(itemPrefix, ${PURGE_BATCH})
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
  -- A new cache entry: every field written, so a replaced entry keeps nothing old.
  local function put(counter, uninit, old)
    if t == 0 then
      redis.call('HSET', item, 'b', body, 's', size, 't', '0', 'c', num(counter), 'l', '0', 'd', '0', 'u', uninit, 'x', '0', 'z', '0')
      redis.call('PERSIST', item)
      redis.call('ZREM', expiries, member)
    else
      local xs = num(now + t * 60000)
      redis.call('HSET', item, 'b', body, 's', size, 't', num(t), 'c', num(counter), 'l', '0', 'd', '0', 'u', uninit, 'x', xs, 'z', xs)
      redis.call('PEXPIRE', item, num(t * 60000))
      redis.call('ZADD', expiries, xs, member)
    end
    count(old)
  end
  -- live() returning nil has forgotten any P sizes entry the key had: a new item has no old size.
  if uninitialized then
    if live(item, member, false) then return { 1 } end
    if not room(0) then return { 4, stored() } end
    put(1, '1', nil)
    return { 1 }
  end
  local it = live(item, member, false)
  if not it then
    if not room(0) then return { 4, stored() } end
    put(1, '0', nil)
    return { 1 }
  end
  if it.l and cookie ~= it.c then
    touch(item, member, it)
    return locked(it)
  end
  local old = tonumber(it.s) or tonumber(redis.call('HGET', sizes, member))
  if not room(old or 0) then
    touch(item, member, it)
    return { 4, stored() }
  end
  if it.t == t then
    touch(item, member, it, { 'b', body, 's', size, 'l', '0', 'u', '0' })
    count(old)
    return { 1 }
  end
  put(cookie or it.c, '0', old)
  return { 1 }
end
`;

const BATCH = `
local itemPrefix = ARGV[1]
local skip = #itemPrefix + 1
local replies = {}
local n = 0
local function reply(r)
  for i = 1, #r do replies[n + i] = r[i] end
  n = n + #r
end
local k = 4
local body = 3
for op in string.gmatch(ARGV[2], '[^;]+') do
  local code, given, a1, a2, a3, a4 = string.match(op, '^(%a) (%S+) ?(%S*) ?(%S*) ?(%S*) ?(%S*)$')
  local item = KEYS[k]
  if code == nil or item == nil then return redis.error_reply('statescope: malformed batch at ' .. op) end
  local member = string.sub(item, skip)
  now = clock(given)
  if code == 'g' then
    reply(get(item, member, a1 == '1'))
  elseif code == 'r' then
    reply(release(item, member, tonumber(a1)))
  elseif code == 'd' then
    reply(remove(item, member, tonumber(a1)))
  elseif code == 'h' then
    reply(resetTimeout(item, member))
  elseif code == 's' then
    reply(set(item, member, itemPrefix, tonumber(a1), tonumber(a2), tonumber(a3), a4 == '1', ARGV[body]))
    body = body + 1
  else
    return redis.error_reply('statescope: unknown operation ' .. code)
  end
  k = k + 1
end
return replies
`;

/** KEYS as for a batch (no items); ARGV 1 the item key prefix, 2 now or '-'. {looked at, dropped}. */
const PURGE = `
now = clock(ARGV[2])
return { purge(ARGV[1], ${PURGE_BATCH}) }
`;

/** Read-only totals: items counted and their bytes. KEYS as for a batch. */
const STATS = `return { redis.call('HLEN', KEYS[2]), tonumber(redis.call('GET', KEYS[3])) or 0 }`;

// Script flags (Redis 7.0+). With maxmemory and noeviction, Redis refuses scripts without
// allow-oom while it is over the limit. Only Set may be refused that way (and is answered 500,
// like our own ceiling); reads, locks, removes and purges must keep working on a full Redis,
// since they only refresh an expiry or free memory. Hence two batch scripts, the same code with
// different flags: Sets go only in ssWriteBatch, every other operation only in ssBatch.
const STORES_DATA = '#!lua\n';
const KEEPS_WORKING_WHEN_FULL = '#!lua flags=allow-oom\n';
const READ_ONLY = '#!lua flags=no-writes,allow-oom\n';

export const SCRIPTS = {
  ssBatch: KEEPS_WORKING_WHEN_FULL + PRELUDE + OPERATIONS + BATCH,
  ssWriteBatch: STORES_DATA + PRELUDE + OPERATIONS + BATCH,
  ssPurge: KEEPS_WORKING_WHEN_FULL + PRELUDE + PURGE,
  ssStats: READ_ONLY + STATS,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** Operation codes in a batch (see above). */
export type OperationCode = 'g' | 'r' | 'd' | 'h' | 's';
