// Writes session bodies in ASP.NET's real format (SessionStateUtil.Serialize), so the emulator's
// Sets carry what a real application sends: the item table, typed values, an Object item as a
// BinaryFormatter (MS-NRBF) stream, and optionally the whole blob raw-Deflated with a trailing
// 0xFF as compressionEnabled="true" does.
import zlib from 'node:zlib';

/** One item's value, by the type id ASP.NET writes before it (1 String … 21 Null). */
export type SessionValue =
  | { type: 'String'; value: string }
  | { type: 'Int32'; value: number }
  | { type: 'Boolean'; value: boolean }
  | { type: 'DateTime'; ticks: bigint }
  | { type: 'Double'; value: number }
  | { type: 'Int64'; value: bigint }
  | { type: 'Guid'; bytes: Buffer }
  | { type: 'Null' }
  /** An object ASP.NET hands to BinaryFormatter: a class with one Int32 field and a byte-array field of `bytes` length. */
  | { type: 'Object'; className: string; assembly: string; bytes: number }
  /** Any type id with a payload written as given (tests of every id). */
  | { type: 'raw'; typeId: number; payload: Buffer };

export interface SessionContent {
  timeoutMinutes: number;
  items: ReadonlyArray<readonly [string | null, SessionValue]>;
  compressed?: boolean;
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  return b;
}

/** BinaryWriter's 7-bit encoded length prefix. */
export function lengthPrefix(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let b = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest > 0) b |= 0x80;
    bytes.push(b);
  } while (rest > 0);
  return Buffer.from(bytes);
}

function binaryString(text: string): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  return Buffer.concat([lengthPrefix(utf8.length), utf8]);
}

/** A minimal but well-formed BinaryFormatter stream for one class instance. */
export function nrbfObject(className: string, assembly: string, bytes: number): Buffer {
  return Buffer.concat([
    Buffer.from([0x00]), int32(1), int32(-1), int32(1), int32(0), // SerializationHeaderRecord
    Buffer.from([0x0c]), int32(2), binaryString(assembly), // BinaryLibrary
    Buffer.from([0x05]), int32(1), binaryString(className), int32(2), // ClassWithMembersAndTypes
    binaryString('Count'), binaryString('Data'),
    Buffer.from([0x00, 0x07]), // BinaryTypeEnum: Primitive, PrimitiveArray
    Buffer.from([0x08, 0x02]), // PrimitiveTypeEnum: Int32, Byte
    int32(2), // library id
    int32(bytes), // Count
    Buffer.from([0x09]), int32(3), // MemberReference to the array
    Buffer.from([0x0f]), int32(3), int32(bytes), Buffer.from([0x02]), Buffer.alloc(bytes, 0x5a), // ArraySinglePrimitive of Byte
    Buffer.from([0x0b]), // MessageEnd
  ]);
}

function valueBytes(value: SessionValue): Buffer {
  switch (value.type) {
    case 'String':
      return Buffer.concat([Buffer.from([1]), binaryString(value.value)]);
    case 'Int32':
      return Buffer.concat([Buffer.from([2]), int32(value.value)]);
    case 'Boolean':
      return Buffer.from([3, value.value ? 1 : 0]);
    case 'DateTime': {
      const b = Buffer.alloc(9);
      b[0] = 4;
      b.writeBigInt64LE(value.ticks, 1);
      return b;
    }
    case 'Double': {
      const b = Buffer.alloc(9);
      b[0] = 9;
      b.writeDoubleLE(value.value, 1);
      return b;
    }
    case 'Int64': {
      const b = Buffer.alloc(9);
      b[0] = 12;
      b.writeBigInt64LE(value.value, 1);
      return b;
    }
    case 'Guid':
      return Buffer.concat([Buffer.from([17]), value.bytes.subarray(0, 16)]);
    case 'Null':
      return Buffer.from([21]);
    case 'Object':
      return Buffer.concat([Buffer.from([20]), nrbfObject(value.className, value.assembly, value.bytes)]);
    case 'raw':
      return Buffer.concat([Buffer.from([value.typeId]), value.payload]);
  }
}

/** The bytes ASP.NET would send for this session. */
export function serializeSession(content: SessionContent): Buffer {
  const parts: Buffer[] = [int32(content.timeoutMinutes)];
  const hasItems = content.items.length > 0;
  parts.push(Buffer.from([hasItems ? 1 : 0, 0]));
  if (hasItems) {
    parts.push(int32(content.items.length));
    parts.push(int32(content.items.findIndex(([key]) => key === null)));
    for (const [key] of content.items) if (key !== null) parts.push(binaryString(key));
    const values = content.items.map(([, value]) => valueBytes(value));
    let end = 0;
    for (const value of values) {
      end += value.length;
      parts.push(int32(end));
    }
    parts.push(...values);
  }
  parts.push(Buffer.from([0xff]));
  const plain = Buffer.concat(parts);
  if (!content.compressed) return plain;
  return Buffer.concat([zlib.deflateRawSync(plain), Buffer.from([0xff])]);
}
