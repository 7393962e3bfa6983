// A small Python pickle virtual machine: enough of protocols 0–5 to read what torch.save writes.
// It never runs Python callables: GLOBAL/STACK_GLOBAL resolve through a caller-supplied table, and anything
// not in that table becomes an inert PyObject, so a hostile pickle can do no more than build data.

/** A global (class or function) the resolver did not map to a JS implementation. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get fullName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of an unmapped class, kept as data: the callable's name, its arguments, and BUILD state. */
export class PyObject {
  state: unknown = undefined;
  constructor(readonly cls: string, readonly args: unknown[]) {}
}

/** Python tuples are JS arrays tagged with this class so callers can tell them from lists if they care. */
export class PyTuple extends Array<unknown> {
  static from_(items: unknown[]): PyTuple {
    const t = new PyTuple();
    for (const x of items) t.push(x);
    return t;
  }
}

/** A Python dict (or OrderedDict): a Map keeping insertion order; attributes set by BUILD go in `attrs`. */
export class PyDict extends Map<unknown, unknown> {
  attrs: Map<string, unknown> | undefined;
}

export interface UnpickleOptions {
  /** Maps a (module, name) global to a JS value; return undefined to leave it as an inert PyGlobal. */
  resolveGlobal?: (module: string, name: string) => unknown;
  /** BINPERSID / PERSID: torch's storage references. */
  persistentLoad?: (pid: unknown) => unknown;
}

export class PickleError extends Error {}

const MARK = Symbol('mark');

/** A JS function that a resolved global maps to; called for REDUCE and NEWOBJ with Python's positional args. */
export type PyCallable = (...args: unknown[]) => unknown;

/** Runs one pickle starting at `offset`; returns the value and the offset just after its STOP opcode. */
export function unpickle(buf: Uint8Array, offset = 0, opts: UnpickleOptions = {}): { value: unknown; end: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = offset;
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8');

  const need = (n: number): void => {
    if (pos + n > buf.length) throw new PickleError(`truncated pickle (needs ${n} bytes at offset ${pos})`);
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = dv.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = dv.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError('pickle length too large');
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleError('truncated pickle (unterminated text line)');
    const s = latin1.decode(buf.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      throw new PickleError('pickle stack underflow');
    }
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleError('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError('pickle MARK missing');
    return stack.splice(m);
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) throw new PickleError(`pickle memo key ${i} missing`);
    return memo.get(i);
  };
  const resolve = (module: string, name: string): unknown => {
    const v = opts.resolveGlobal?.(module, name);
    return v === undefined ? new PyGlobal(module, name) : v;
  };
  const call = (fn: unknown, args: unknown): unknown => {
    const list = Array.isArray(args) ? [...args] : [];
    if (typeof fn === 'function') return (fn as PyCallable)(...list);
    if (fn instanceof PyGlobal) return new PyObject(fn.fullName, list);
    throw new PickleError('pickle calls something that is not callable');
  };
  const setItem = (d: unknown, k: unknown, v: unknown): void => {
    if (d instanceof Map) d.set(k, v);
    else if (d instanceof PyObject) {
      // dict subclasses that we do not know (e.g. a custom OrderedDict) still get their items
      if (!(d.state instanceof PyDict)) d.state = d.state ?? new PyDict();
      if (d.state instanceof PyDict) d.state.set(k, v);
    } else throw new PickleError('pickle SETITEM on a non-dict');
  };
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const parseIntText = (s: string): number | bigint | boolean => {
    const t = s.trim().replace(/L$/, '');
    if (t === '00') return false; // protocol-0 booleans
    if (t === '01') return true;
    const b = BigInt(t);
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: // INT (text)
        stack.push(parseIntText(line()));
        break;
      case 0x4c: // LONG (text)
        stack.push(parseIntText(line()));
        break;
      case 0x8a: // LONG1
        stack.push(decodeLong(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(decodeLong(bytes(u32())));
        break;
      case 0x46: // FLOAT (text)
        stack.push(parseFloat(line()));
        break;
      case 0x47: {
        // BINFLOAT: big-endian double
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(bytes(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(bytes(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text); good enough for ASCII keys
        stack.push(line());
        break;
      case 0x53: {
        // STRING: quoted repr
        const s = line().trim();
        stack.push(s.length >= 2 ? s.slice(1, -1) : s);
        break;
      }
      case 0x54: // BINSTRING (py2 str): latin-1 text
        stack.push(latin1.decode(bytes(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(bytes(u64()).slice());
        break;
      case 0x96: // BYTEARRAY8
        stack.push(bytes(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple());
        break;
      case 0x85: // TUPLE1
        stack.push(PyTuple.from_([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(PyTuple.from_([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(PyTuple.from_([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        stack.push(PyTuple.from_(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError('pickle APPEND on a non-list');
        l.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError('pickle APPENDS on a non-list');
        l.push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw new PickleError('pickle ADDITEMS on a non-set');
        for (const x of items) s.add(x);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x67: // GET
        stack.push(memoGet(Number(line())));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = line();
        const name = line();
        stack.push(resolve(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('pickle STACK_GLOBAL needs strings');
        stack.push(resolve(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs: not needed by anything torch.save writes
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args));
        break;
      }
      case 0x69: {
        // INST: module, name on text lines, args from MARK
        const module = line();
        const name = line();
        stack.push(call(resolve(module, name), popMark()));
        break;
      }
      case 0x6f: {
        // OBJ: MARK cls args...
        const items = popMark();
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x62: {
        // BUILD: setstate; dicts keep attributes (OrderedDict._metadata), objects keep their state
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) {
          obj.attrs = obj.attrs ?? new Map();
          if (state instanceof Map) for (const [k, v] of state) obj.attrs.set(String(k), v);
        } else if (obj instanceof PyObject) {
          obj.state = state;
        } else if (obj && typeof obj === 'object' && 'setState' in obj && typeof obj.setState === 'function') {
          (obj.setState as (s: unknown) => void)(state);
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) throw new PickleError('pickle has a persistent id but no loader was given');
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = line();
        if (!opts.persistentLoad) throw new PickleError('pickle has a persistent id but no loader was given');
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw new PickleError(`unsupported pickle opcode 0x${op.toString(16)}`);
      default:
        throw new PickleError(`invalid pickle opcode 0x${op.toString(16)} at offset ${pos - 1}`);
    }
  }
}
