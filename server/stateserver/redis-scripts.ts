// The protocol operations as Lua scripts run atomically inside Redis, so any number of statescope
// servers on one Redis see one consistent item (read, lock check, update and expiry refresh
// happen in one step; no other client can act in between).
//
// Layout, under a key prefix P (default "statescope:"):
//   P i:<key>   hash: b body, t timeout (min), c lock counter, l locked 0/1, d lock date (Unix ms),
//               u uninitialized 0/1, x logical deadline (Unix ms, 0 = never), z the item's score
//               in P expiries (0 = not in it), s body bytes (as in P sizes, read with the rest),
//               e when the item's Redis TTL ends (Unix ms, on the same clock as x; 0 = no TTL)
//   P expiries  sorted set: <key> scored by a time at or before its deadline (items with a
//               timeout only); see "Lazy scores" below
//   P sizes     hash: <key> -> body bytes, what the item counts against --max-stored-bytes
//   P bytes     integer: the sum of P sizes
//   P never     never written: the key a batch with Sets asks whether Redis is full about
// The item hash carries a real Redis TTL (PEXPIRE) that always reaches past the sliding deadline,
// so Redis frees an abandoned session by itself even when no statescope server runs. The deadline
// x is the expiry on the clock the caller passes with each batch (Redis's own TIME when it passes
// '-'): that decides what a request sees, so a test's fake clock behaves exactly like the
// in-memory store. P sizes and P bytes outlive an item Redis expired by TTL until the next access
// or purge settles them.
//
// Lazy TTL: a PEXPIRE costs Redis about as much as the HSET that slides x, so it is not sent on
// every access. The TTL is set a quarter of the timeout past the deadline (e records where it
// ends), and renewed only when a new deadline would pass e: a session in use renews it once per
// quarter timeout, and an abandoned one outlives its deadline in Redis by at most that much (a
// running server's purge drops it at the deadline).
//
// Lazy scores: every read slides the deadline, but rewriting the sorted set on every request
// would cost each one a ZADD. A score only has to be no later than the deadline, so the purge
// never misses an expired item: a touch moves the score only when the deadline moves earlier
// than it (a clock stepped back), and the purge, meeting an item whose score has passed but
// whose deadline has not, moves the score to the deadline instead of dropping the item.
//
// Batches: each redis.call, and each script run, costs Redis about a microsecond whatever it
// does (and each field an HMGET returns a fifth of one), and each command costs the statescope
// process a command object, its encoding and its reply. So every operation reads only the fields
// it needs with one HMGET and writes them with one HSET, and the
// operations one server receives in one event-loop turn go to Redis as one script run (a batch),
// executed one after the other, each to completion, in the order given. A batch is atomic as a
// whole, so each operation in it is too.
//
// Batch scripts: KEYS 1 expiries, 2 sizes, 3 bytes, 4 never, then one item hash (P i:<key>) per operation.
// ARGV 1 the item key prefix (P i:, so each item's key is its KEYS name without it); ARGV 2 the
// batch's time (Unix ms on the caller's clock, or '-' for one reading of Redis's TIME), then the
// operations, one per item key, in KEYS order, each after a ';': its code and its own arguments,
// separated by spaces ('-' for none); then the bodies of the batch's Sets, in order. One string
// for all the small arguments because each argument costs the statescope process more to encode
// than Lua takes to split it. A batch runs as one atomic step, so one time serves all of it.
// Operations:
//   g  Get           exclusive 1 / 0
//   r  Release       cookie
//   d  Remove        cookie or -
//   h  ResetTimeout  (nothing)
//   s  Set           timeout (min), cookie or -, max stored bytes (-1 none), uninitialized 1 / 0
// Reply: the operations' replies, in order, in one flat array (cheaper to decode than nested
// ones): 0 missing; 1 done; 2, body, timeout, firstRead 0/1, cookie or -1: found;
// 3, lockDate, now, cookie: locked; 4, storedBytes: full; 5: Redis is out of memory (a Set
// refused at maxmemory, see "A full Redis" below).

/** Items looked at per purge step, so one purge never blocks Redis for long. */
export const PURGE_BATCH = 1000;
/** Purge steps a Set that does not fit may take before it is refused. */
const ROOM_PURGE_STEPS = 10;
/**
 * The Redis TTL is set this fraction of the timeout past the deadline, so that a session read
 * again and again renews it once per that much time rather than with a PEXPIRE on every request.
 */
const TTL_SLACK_DIVISOR = 4;

const PRELUDE = `
local expiries, sizes, total, never = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
-- The time of the batch (set by clock() before the first operation), as a number and as text.
local now, nowText
local function clock(given)
  local n = tonumber(given)
  if n ~= nil then
    now, nowText = n, given
    return
  end
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  nowText = string.format('%.0f', now)
end
local function num(x) return string.format('%.0f', x) end
-- Redis was at maxmemory (noeviction) when this run started: Sets are refused (see OOM_CHECK).
local outOfMemory = false
-- P bytes, read once per script run and kept up to date by the writes below.
local storedBytes
local function stored()
  if storedBytes == nil then storedBytes = tonumber(redis.call('GET', total)) or 0 end
  return storedBytes
end
local function forget(name, key)
  local n = tonumber(redis.call('HGET', sizes, name))
  redis.call('DEL', key)
  redis.call('ZREM', expiries, name)
  if n then
    redis.call('HDEL', sizes, name)
    storedBytes = redis.call('DECRBY', total, n)
  end
end
-- The live item's fields t, x, z, e, then those asked for (HMGET order), or nil; an expired
-- one is forgotten on the way, and so is the P sizes entry of one Redis already dropped by TTL.
local function live(item, member, ...)
  local f = redis.call('HMGET', item, 't', 'x', 'z', 'e', ...)
  if not f[1] then
    if redis.call('HEXISTS', sizes, member) == 1 then forget(member, item) end
    return nil
  end
  local x = tonumber(f[2]) or 0
  if x > 0 and x <= now then
    forget(member, item)
    return nil
  end
  return f
end
local function lockDate(item) return tonumber(redis.call('HGET', item, 'd')) end
-- Slides the expiry of a live item (f as live() returned it), writing the field/value pairs in
-- extra (nil: none) in the same HSET as the deadline. The Redis TTL is renewed only when it
-- would end before the new deadline, and then to a slack past it (see TTL_SLACK_DIVISOR).
local function touch(item, member, f, extra)
  local t = tonumber(f[1])
  if t == 0 then
    -- No sliding expiry: x stays 0 and the item has no TTL and no score (set when it was put).
    if extra then redis.call('HSET', item, unpack(extra)) end
    return
  end
  local ttl = t * 60000
  local x = now + ttl
  local z = tonumber(f[3]) or 0
  local e = tonumber(f[4]) or 0
  if z ~= 0 and x >= z and e >= x and not extra then
    redis.call('HSET', item, 'x', x)
    return
  end
  local args = { 'x', x }
  if z == 0 or x < z then
    redis.call('ZADD', expiries, x, member)
    args[#args + 1] = 'z'
    args[#args + 1] = x
  end
  if e < x then
    local slack = ttl / ${TTL_SLACK_DIVISOR}
    redis.call('PEXPIRE', item, ttl + slack)
    args[#args + 1] = 'e'
    args[#args + 1] = x + slack
  end
  if extra then
    for i = 1, #extra do args[#args + 1] = extra[i] end
  end
  redis.call('HSET', item, unpack(args))
end
-- Looks at up to limit items whose score has passed: drops the expired ones, re-scores the
-- others. Returns how many it looked at and how many it dropped.
local function purge(itemPrefix, limit)
  local names = redis.call('ZRANGEBYSCORE', expiries, '-inf', nowText, 'LIMIT', 0, limit)
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

// Each operation returns its reply as values (kind first, see above), not as a table.
const OPERATIONS = `
local function get(item, member, exclusive)
  local f = live(item, member, 'c', 'l', 'u', 'b')
  if not f then return 0 end
  local counter = tonumber(f[5])
  if f[6] == '1' then
    touch(item, member, f)
    return 3, lockDate(item), now, counter
  end
  local first = 0
  local uninitialized = f[7] == '1'
  if uninitialized then first = 1 end
  local cookie = -1
  local extra = nil
  if exclusive then
    if counter >= 2147483647 then cookie = 1 else cookie = counter + 1 end
    if uninitialized then
      extra = { 'u', '0', 'c', cookie, 'l', '1', 'd', nowText }
    else
      extra = { 'c', cookie, 'l', '1', 'd', nowText }
    end
  elseif uninitialized then
    extra = { 'u', '0' }
  end
  touch(item, member, f, extra)
  return 2, f[8], tonumber(f[1]), first, cookie
end

local function release(item, member, cookie)
  local f = live(item, member, 'c', 'l')
  if not f then return 0 end
  if f[6] ~= '1' then
    touch(item, member, f)
    return 1
  end
  local counter = tonumber(f[5])
  if cookie ~= counter then
    touch(item, member, f)
    return 3, lockDate(item), now, counter
  end
  touch(item, member, f, { 'l', '0' })
  return 1
end

local function remove(item, member, cookie)
  local f = live(item, member, 'c', 'l')
  if not f then return 0 end
  local counter = tonumber(f[5])
  if f[6] == '1' and cookie ~= counter then
    touch(item, member, f)
    return 3, lockDate(item), now, counter
  end
  forget(member, item)
  return 1
end

local function resetTimeout(item, member)
  local f = live(item, member)
  if not f then return 0 end
  touch(item, member, f)
  return 1
end

local function set(item, member, itemPrefix, t, cookie, max, uninitialized, body)
  if outOfMemory then return 5 end
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
      storedBytes = redis.call('INCRBY', total, size - (old or 0))
    end
  end
  -- A new cache entry: every field written, so a replaced entry keeps nothing old.
  local function put(counter, uninit, old)
    if t == 0 then
      redis.call('HSET', item, 'b', body, 's', size, 't', '0', 'c', num(counter), 'l', '0', 'd', '0', 'u', uninit, 'x', '0', 'z', '0', 'e', '0')
      redis.call('PERSIST', item)
      redis.call('ZREM', expiries, member)
    else
      local ttl = t * 60000
      local slack = ttl / ${TTL_SLACK_DIVISOR}
      local x = now + ttl
      redis.call('HSET', item, 'b', body, 's', size, 't', t, 'c', num(counter), 'l', '0', 'd', '0', 'u', uninit, 'x', x, 'z', x, 'e', x + slack)
      redis.call('PEXPIRE', item, ttl + slack)
      redis.call('ZADD', expiries, x, member)
    end
    count(old)
  end
  -- live() returning nil has forgotten any P sizes entry the key had: a new item has no old size.
  if uninitialized then
    if live(item, member) then return 1 end
    if not room(0) then return 4, stored() end
    put(1, '1', nil)
    return 1
  end
  local f = live(item, member, 'c', 'l', 's')
  if not f then
    if not room(0) then return 4, stored() end
    put(1, '0', nil)
    return 1
  end
  local counter = tonumber(f[5])
  if f[6] == '1' and cookie ~= counter then
    touch(item, member, f)
    return 3, lockDate(item), now, counter
  end
  local old = tonumber(f[7]) or tonumber(redis.call('HGET', sizes, member))
  if not room(old or 0) then
    touch(item, member, f)
    return 4, stored()
  end
  if tonumber(f[1]) == t then
    touch(item, member, f, { 'b', body, 's', size, 'l', '0', 'u', '0' })
    count(old)
    return 1
  end
  put(cookie or counter, '0', old)
  return 1
end
`;

const BATCH = `
local itemPrefix = ARGV[1]
local skip = #itemPrefix + 1
local replies = {}
local n = 0
local k = 5
local body = 3
local started = false
local sub, byte = string.sub, string.byte
local G, R, D, H, S = byte('g'), byte('r'), byte('d'), byte('h'), byte('s')
for op in string.gmatch(ARGV[2], '[^;]+') do
  if not started then
    clock(op)
    started = true
  else
    local item = KEYS[k]
    if item == nil then return redis.error_reply('statescope: malformed batch at ' .. op) end
    local member = sub(item, skip)
    local code = byte(op, 1)
    local kind, a, b, c, d
    if code == G then
      kind, a, b, c, d = get(item, member, sub(op, 3) == '1')
    elseif code == H then
      kind = resetTimeout(item, member)
    elseif code == S then
      local t, cookie, max, uninitialized = string.match(op, '^s (%S+) (%S+) (%S+) (%S+)$')
      if t == nil then return redis.error_reply('statescope: malformed batch at ' .. op) end
      kind, a, b, c = set(item, member, itemPrefix, tonumber(t), tonumber(cookie), tonumber(max), uninitialized == '1', ARGV[body])
      body = body + 1
    elseif code == R then
      kind, a, b, c = release(item, member, tonumber(sub(op, 3)))
    elseif code == D then
      kind, a, b, c = remove(item, member, tonumber(sub(op, 3)))
    else
      return redis.error_reply('statescope: unknown operation ' .. op)
    end
    n = n + 1
    replies[n] = kind
    if kind == 2 then
      replies[n + 1], replies[n + 2], replies[n + 3], replies[n + 4] = a, b, c, d
      n = n + 4
    elseif kind == 3 then
      replies[n + 1], replies[n + 2], replies[n + 3] = a, b, c
      n = n + 3
    elseif kind == 4 then
      n = n + 1
      replies[n] = a
    end
    k = k + 1
  end
end
return replies
`;

/** KEYS as for a batch (no items); ARGV 1 the item key prefix, 2 now or '-'. {looked at, dropped}. */
const PURGE = `
clock(ARGV[2])
return { purge(ARGV[1], ${PURGE_BATCH}) }
`;

/** Read-only totals: items counted and their bytes. KEYS as for a batch. */
const STATS = `return { redis.call('HLEN', KEYS[2]), tonumber(redis.call('GET', KEYS[3])) or 0 }`;

// A full Redis: with maxmemory and noeviction, only Sets may be refused (answered 500, like our
// own ceiling); reads, locks, removes and purges must keep working, since they only refresh an
// expiry or free memory. Redis decides "full" once, when a script starts. A script with flags
// (Redis 7.0+) and without allow-oom is then refused whole, before it runs, so a batch holding
// Sets among other operations would have to be sent again without them, after later batches
// already in flight had run. So the batch with Sets is a script without flags, which Redis runs
// as it ran every script before 7.0: it starts even when full, and then refuses only the run's
// first command that may grow memory (DENYOOM), and none after a first write. The run asks first
// with a command of that kind that changes nothing (LPUSHX onto P never, a key that does not
// exist: 0 when there is room, OOM when full; not a key that exists, whose WRONGTYPE Redis would
// count in its error statistics). Refused, it makes a first write that cannot grow memory and
// changes nothing (PERSIST on P never), after which every command runs, and answers its Sets 5
// without touching them. So Redis's own verdict decides, the run is never refused, and each
// batch runs once, in order.
const OOM_CHECK = `
do
  local probe = redis.pcall('LPUSHX', never, '')
  if type(probe) == 'table' and probe.err then
    if string.sub(probe.err, 1, 3) == 'OOM' then
      outOfMemory = true
      redis.call('PERSIST', never)
    else
      -- Anything else (MISCONF, READONLY): fail the batch before it writes anything.
      return redis.error_reply(probe.err)
    end
  end
end
`;
const KEEPS_WORKING_WHEN_FULL = '#!lua flags=allow-oom\n';
const READ_ONLY = '#!lua flags=no-writes,allow-oom\n';

export const SCRIPTS = {
  /** A batch without Sets. */
  ssBatch: KEEPS_WORKING_WHEN_FULL + PRELUDE + OPERATIONS + BATCH,
  /** A batch with Sets (and any other operations): no flags, see OOM_CHECK. */
  ssWriteBatch: PRELUDE + OPERATIONS + OOM_CHECK + BATCH,
  ssPurge: KEEPS_WORKING_WHEN_FULL + PRELUDE + PURGE,
  ssStats: READ_ONLY + STATS,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** Operation codes in a batch (see above). */
export type OperationCode = 'g' | 'r' | 'd' | 'h' | 's';
