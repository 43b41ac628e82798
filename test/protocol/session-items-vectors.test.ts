// The item table of ASP.NET serialized sessions, against vectors written by hand from the
// layout in System.Web's SessionStateItemCollection.Serialize / AltSerialization (not produced
// by statescope's own writer): names, types and sizes, never values.
import { describe, expect, it } from 'vitest';
import { readSessionItems, nrbfClassName } from '../../server/protocol/session-items.ts';
import { readWholeSessionItems } from '../../server/protocol/session-items-whole.ts';
import { serializeSession } from '../../server/client/session-body-writer.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[^0-9a-fA-F]/g, ''), 'hex');

// The worked example: timeout 20, one key "var1", an 18-byte String item "This is the data".
const WORKED = hex(`14000000 01 00 01000000 FFFFFFFF 04 76617231 12000000 01 10
  ${Buffer.from('This is the data').toString('hex')} FF`);

describe('the worked example', () => {
  it('reads timeout 20 and one 18-byte String item named var1', () => {
    const result = readSessionItems(WORKED);
    expect(result).toEqual({
      ok: true,
      table: {
        timeoutMinutes: 20,
        itemCount: 1,
        items: [{ key: 'var1', typeId: 1, type: 'String', size: 18 }],
        valueBytes: 18,
        staticObjectCount: 0,
        decodedBytes: WORKED.length,
      },
    });
  });

  it('holds no value text in what it returns', () => {
    expect(JSON.stringify(readSessionItems(WORKED))).not.toContain('This is the data');
  });

  it('is what the emulator writes for that session, byte for byte', () => {
    expect(serializeSession({ timeoutMinutes: 20, items: [['var1', { type: 'String', value: 'This is the data' }]] })).toEqual(WORKED);
  });

  it('reads the empty uninitialized session (7 bytes) as no items', () => {
    const result = readSessionItems(hex('14000000 00 00 FF'));
    expect(result.ok && result.table).toMatchObject({ timeoutMinutes: 20, itemCount: 0, items: [] });
  });
});

// One value of each type id, payloads written out by hand.
const EVERY_TYPE: Array<[number, string, string]> = [
  [1, 'String', '03 616263'],
  [2, 'Int32', '2a000000'],
  [3, 'Boolean', '01'],
  [4, 'DateTime', '0080e1d2c3b4a508'],
  [5, 'Decimal', '01000000 00000000 00000000 00000200'],
  [6, 'Byte', '7f'],
  [7, 'Char', 'c3a9'], // 'é' as UTF-8
  [8, 'Single', '0000803f'],
  [9, 'Double', '000000000000f03f'],
  [10, 'SByte', 'ff'],
  [11, 'Int16', '3930'],
  [12, 'Int64', '0100000000000080'],
  [13, 'UInt16', 'ffff'],
  [14, 'UInt32', 'ffffffff'],
  [15, 'UInt64', 'ffffffffffffffff'],
  [16, 'TimeSpan', '00c817a804000000'],
  [17, 'Guid', '00112233445566778899aabbccddeeff'],
  [18, 'IntPtr', '0000000000000000'],
  [19, 'UIntPtr', '00000000'],
  [21, 'Null', ''],
];

function table(values: Array<[string | null, string]>): Buffer {
  const nullIndex = values.findIndex(([key]) => key === null);
  const keys = values.filter(([key]) => key !== null).map(([key]) => {
    const k = Buffer.from(key!, 'utf8');
    return Buffer.concat([Buffer.from([k.length]), k]);
  });
  const bodies = values.map(([, v]) => hex(v));
  let end = 0;
  const ends = bodies.map((b) => {
    end += b.length;
    const o = Buffer.alloc(4);
    o.writeInt32LE(end);
    return o;
  });
  const count = Buffer.alloc(8);
  count.writeInt32LE(values.length, 0);
  count.writeInt32LE(nullIndex, 4);
  return Buffer.concat([hex('14000000 01 00'), count, ...keys, ...ends, ...bodies, hex('ff')]);
}

describe('every type id', () => {
  it('names each type and its size from the offset table', () => {
    const body = table(EVERY_TYPE.map(([id, name, payload]) => [`k${name}`, `${id.toString(16).padStart(2, '0')} ${payload}`]));
    const result = readSessionItems(body);
    if (!result.ok) throw new Error(result.error);
    expect(result.table.items.map((i) => [i.typeId, i.type, i.size])).toEqual(
      EVERY_TYPE.map(([id, name, payload]) => [id, name, 1 + hex(payload).length]),
    );
    expect(result.table.items.map((i) => i.key)).toEqual(EVERY_TYPE.map(([, name]) => `k${name}`));
  });

  it('reads an Object item’s class name from its BinaryFormatter header without deserializing it', () => {
    const asm = Buffer.from('Shop, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null');
    const cls = Buffer.from('Shop.Cart');
    const nrbf = Buffer.concat([
      hex('00 01000000 FFFFFFFF 01000000 00000000'),
      hex('0c 02000000'), Buffer.from([asm.length]), asm,
      hex('05 01000000'), Buffer.from([cls.length]), cls,
      hex('01000000 05 4974656d73 00 08 02000000 07000000 0b'),
    ]);
    const body = table([['cart', `14 ${nrbf.toString('hex')}`]]);
    const result = readSessionItems(body);
    expect(result.ok && result.table.items).toEqual([{ key: 'cart', typeId: 20, type: 'Object', className: 'Shop.Cart', size: 1 + nrbf.length }]);
  });

  it('takes the null key from its index and reads no key text for it', () => {
    const body = table([['a', '02 01000000'], [null, '15'], ['b', '03 00']]);
    const result = readSessionItems(body);
    expect(result.ok && result.table.items.map((i) => i.key)).toEqual(['a', null, 'b']);
  });

  it('names a string root and an array root', () => {
    expect(nrbfClassName(hex('00 01000000 FFFFFFFF 01000000 00000000 06 01000000 01 41 0b'))).toBe('System.String');
    expect(nrbfClassName(hex('00 01000000 FFFFFFFF 01000000 00000000 0f 01000000 02000000 02 0102 0b'))).toBe('array');
    expect(nrbfClassName(hex('ff'))).toBeUndefined();
  });

  it('reads a class name inside a larger buffer only within the bounds it is given', () => {
    // Header, BinaryLibrary 2 "Lib" (skipped), ClassWithMembersAndTypes 1 "A.B".
    const stream = hex('00 01000000 FFFFFFFF 01000000 00000000 0c 02000000 03 4c6962 05 01000000 03 412e42');
    const around = Buffer.concat([hex('aabbcc'), stream, hex('ddeeff')]);
    expect(nrbfClassName(around, 3, 3 + stream.length)).toBe('A.B');
    // One byte short of the class name's end, or of the library name's: not named, nothing read past the end.
    expect(nrbfClassName(around, 3, 3 + stream.length - 1)).toBeUndefined();
    expect(nrbfClassName(around, 3, 3 + 17 + 1 + 4 + 3)).toBeUndefined();
    expect(nrbfClassName(around, 3, 3)).toBeUndefined();
  });
});

describe('static objects', () => {
  // An item, then one static object (global.asax <object scope="session">): its name, no
  // instance yet, and its type name; the table ends at the count, the rest is the object's.
  const body = hex(`14000000 01 01 01000000 FFFFFFFF 01 61 02000000 03 01
    01000000 04 63617274 00 0d ${Buffer.from('Shop.Cart,Shop').toString('hex').slice(0, 26)} FF`);

  it('reads the items and the count of static objects, and takes the rest as theirs', () => {
    for (const result of [readSessionItems(body), readWholeSessionItems(body)]) {
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (result.ok) expect([result.table.items.map((i) => i.key), result.table.staticObjectCount, result.table.decodedBytes]).toEqual([['a'], 1, body.length]);
    }
  });
});

describe('bodies that are not sessions', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['an unknown type id', table([['k', '16 00']]), /type id 22/],
    ['an Int32 of 3 bytes', table([['k', '02 010203']]), /Int32 value 0 is 3 bytes/],
    ['a String whose prefix disagrees with its size', table([['k', '01 05 6162']]), /String value 0/],
    ['a timeout of a billion minutes', hex('00ca9a3b 00 00 ff'), /timeout/],
    ['a boolean of 2', hex('14000000 02 00 ff'), /hasItems/],
    ['an offset table going backwards', hex('14000000 01 00 02000000 ffffffff 01 61 01 62 02000000 01000000 0300 0300 ff'), /ends at 1/],
    ['a missing 0xFF', hex('14000000 00 00 00'), /not 0xFF/],
    ['bytes after the end', hex('14000000 00 00 ff 00'), /follow the end/],
    ['a count of two billion', hex('14000000 01 00 ffffff7f ffffffff'), /ends inside|item count/],
  ];
  for (const [name, body, error] of cases) {
    it(`reports ${name}`, () => {
      const result = readSessionItems(body);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(error);
    });
  }

  it('keeps at most maxItems entries of a huge table but counts them all', () => {
    const values: Array<[string, string]> = Array.from({ length: 50 }, (_, i) => [`k${i}`, '03 01']);
    const result = readSessionItems(table(values), { maxItems: 10, maxKeyBytes: 64 });
    expect(result.ok && [result.table.itemCount, result.table.items.length, result.table.valueBytes]).toEqual([50, 10, 100]);
  });

  it('refuses a key longer than the limit', () => {
    const result = readSessionItems(table([['x'.repeat(100), '03 01']]), { maxItems: 10, maxKeyBytes: 64 });
    expect(!result.ok && result.error).toMatch(/key 0 is 100 bytes/);
  });
});
