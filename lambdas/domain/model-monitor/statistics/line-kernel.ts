/**
 * The capture reader's hot loop in WebAssembly: a capture line compared with its side's
 * template (capture-bytes.ts `LineTemplate`), 16 bytes a step with SIMD, and the data string's
 * cells read as numbers, for the common cell (maybe a minus sign, digits, maybe a point and more
 * digits, 15 digits at most). JavaScript's JIT code for the same loops was several times slower
 * (bounds and map checks, registers spilled in a large function).
 *
 * An accelerator, never a second opinion: it answers "the line has the template's structure"
 * (with the data's cells and the differing field strings) only when `LineTemplate.match` in
 * JavaScript would give the same answer and values; "no" only when that would say no too; and
 * "unsure" for anything else (a cell with a sign, spaces, an exponent or text), which the
 * JavaScript match then reads. The values are the same doubles: the digits as one exact integer
 * m < 10^15, and m / 10^f in one correctly rounded IEEE division, as `stageCsvString` does
 * (and, for a cell with a minus sign, `readNumberBytes`: the same, negated).
 *
 * The module is assembled from the text below by wabt (the WebAssembly Binary Toolkit) when
 * `loadLineKernel` is first awaited (an execution does it before it reads captures): nothing
 * generated is kept in the repository, and processes that read no captures never load it.
 * Until it is loaded, the JavaScript match runs.
 */
import { POW10 } from '../../kernel/decimal.js';
import { CellKind } from './cells.js';

/** The part of the WebAssembly JavaScript API used here (the project's TypeScript libs declare none of it). */
declare const WebAssembly: {
  Module: new (binary: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

/** Memory layout (bytes). */
const STRING_STOP = 0; // 256 × u8: 1 for the bytes that end plain string content
const OUT = 256; // i32 results
const OUT_DATA_START = OUT;
const OUT_DATA_END = OUT + 4;
const OUT_COLUMNS = OUT + 8;
const OUT_CONTENT_TYPE = OUT + 12; // start, end
const OUT_MODE = OUT + 20;
const OUT_ENCODING = OUT + 28;
const POWERS = 512; // 16 × f64: 10^0 … 10^15
const KINDS = 1024; // MAX_COLUMNS × u8
const VALUES = 2048; // MAX_COLUMNS × f64
const MAX_COLUMNS = 1024;
/** Template slots (0: endpointInput, 1: endpointOutput), 64 KB each from here. */
const SLOTS = 65536;
const SLOT_OPEN = 1024; // MAX_SPANS × i32: the value strings' opening quotes
const SLOT_CLOSE = 2048; // MAX_SPANS × i32: their closing quotes
const SLOT_STOPS = 3072; // MAX_SPANS × i32: the spans read apart
const SLOT_TEMPLATE = 4096; // MAX_TEMPLATE bytes
const SLOT_SPAN_AT = 24576; // MAX_TEMPLATE × i16: per template byte, its value string or -1
const MAX_SPANS = 256;
const MAX_TEMPLATE = 16384;
/** A line copied in to be matched, followed by a newline (a byte that stops every scan). */
const LINE = SLOTS + 2 * 65536;
const MAX_LINE = 65536 - 16;
/** A capture reader's chunk (`region`), whose lines are matched where they lie. */
const REGION = LINE + 65536;
/** Chunks larger than this are read line by line through LINE instead (memory never shrinks). */
export const MAX_REGION = 16 << 20;
/**
 * The memory's first size: room for 4 MB chunks (S3 streams hand out 16–64 KB; the bench reads
 * 1 MB). Untouched pages take no RAM. Growing detaches the old ArrayBuffer, which V8 answers by
 * checking for detached buffers in every typed-array access of the process from then on (3.7%
 * more instructions over a monitoring run), so the usual chunk should not need it.
 */
const PAGES = REGION / 65536 + 64;

const WAT = `(module
  (memory (export "memory") ${PAGES})

  ;; How many bytes from $a equal those from $b, up to $n (16 at a time, then one by one).
  (func $same (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $i i32) (local $m i32)
    (block $wideDone
      (loop $wide
        (br_if $wideDone (i32.gt_s (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (local.set $m (i8x16.bitmask (i8x16.eq
          (v128.load (i32.add (local.get $a) (local.get $i)))
          (v128.load (i32.add (local.get $b) (local.get $i))))))
        (if (i32.ne (local.get $m) (i32.const 0xffff))
          (then (return (i32.add (local.get $i) (i32.ctz (i32.xor (local.get $m) (i32.const 0xffff)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $wide)))
    (block $done
      (loop $narrow
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (br_if $done (i32.ne
          (i32.load8_u (i32.add (local.get $a) (local.get $i)))
          (i32.load8_u (i32.add (local.get $b) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $narrow)))
    (local.get $i))

  ;; From $p, the index of the first byte that ends plain string content.
  (func $plain (param $p i32) (result i32)
    (block $done
      (loop $next
        (br_if $done (i32.load8_u (i32.load8_u (local.get $p))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $p))

  ;; The data string opening at $open read as one CSV row of common cells into KINDS and
  ;; VALUES (columns at OUT_COLUMNS): the index after its closing quote, or -1 (unsure).
  (func $stage (param $open i32) (param $end i32) (result i32)
    (local $i i32) (local $j i32) (local $c i32) (local $d i32) (local $column i32)
    (local $fraction i32) (local $point i32) (local $m i64) (local $negative i32) (local $value f64)
    (local.set $i (i32.add (local.get $open) (i32.const 1)))
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 34))
      (then
        (i32.store (i32.const ${OUT_COLUMNS}) (i32.const 0))
        (return (i32.add (local.get $i) (i32.const 1)))))
    (loop $cell
      (local.set $d (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
      ;; A minus sign (45 - 48 = -3) right before the digits: the value negated, as
      ;; readNumberBytes gives it (-0 included).
      (local.set $negative (i32.eq (local.get $d) (i32.const -3)))
      (if (local.get $negative)
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $d (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))))
      (if (i32.gt_u (local.get $d) (i32.const 9)) (then (return (i32.const -1))))
      (local.set $m (i64.const 0))
      (local.set $j (local.get $i))
      ;; The integer digits (the first is one), while below $end.
      (block $whole
        (loop $next
          (br_if $whole (i32.ge_s (local.get $j) (local.get $end)))
          (br_if $whole (i32.gt_u (local.get $d) (i32.const 9)))
          (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (local.get $d))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (local.set $d (i32.sub (i32.load8_u (local.get $j)) (i32.const 48)))
          (br $next)))
      (local.set $fraction (i32.const 0))
      ;; A point (46 - 48 = -2) below $end: the fraction's digits.
      (if (i32.and (i32.eq (local.get $d) (i32.const -2)) (i32.lt_s (local.get $j) (local.get $end)))
        (then
          (local.set $point (local.get $j))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (local.set $d (i32.sub (i32.load8_u (local.get $j)) (i32.const 48)))
          (block $part
            (loop $next
              (br_if $part (i32.ge_s (local.get $j) (local.get $end)))
              (br_if $part (i32.gt_u (local.get $d) (i32.const 9)))
              (local.set $m (i64.add (i64.mul (local.get $m) (i64.const 10)) (i64.extend_i32_u (local.get $d))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (local.set $d (i32.sub (i32.load8_u (local.get $j)) (i32.const 48)))
              (br $next)))
          (local.set $fraction (i32.sub (i32.sub (local.get $j) (local.get $point)) (i32.const 1)))
          ;; "5." is not the common cell.
          (if (i32.eqz (local.get $fraction)) (then (return (i32.const -1))))))
      (local.set $c (i32.add (local.get $d) (i32.const 48)))
      ;; At most 15 digits, then a comma or the closing quote below $end.
      (if (i32.or
            (i32.or
              (i32.gt_s (i32.sub (i32.sub (local.get $j) (local.get $i)) (i32.ne (local.get $fraction) (i32.const 0))) (i32.const 15))
              (i32.ge_s (local.get $j) (local.get $end)))
            (i32.and (i32.ne (local.get $c) (i32.const 44)) (i32.ne (local.get $c) (i32.const 34))))
        (then (return (i32.const -1))))
      (if (i32.ge_u (local.get $column) (i32.const ${MAX_COLUMNS})) (then (return (i32.const -1))))
      (if (i32.eqz (local.get $fraction))
        (then
          (i32.store8 (i32.add (i32.const ${KINDS}) (local.get $column)) (i32.const ${CellKind.Integral}))
          (local.set $value (f64.convert_i64_u (local.get $m))))
        (else
          (i32.store8 (i32.add (i32.const ${KINDS}) (local.get $column)) (i32.const ${CellKind.Fractional}))
          (local.set $value (f64.div (f64.convert_i64_u (local.get $m))
            (f64.load (i32.add (i32.const ${POWERS}) (i32.shl (local.get $fraction) (i32.const 3))))))))
      (f64.store (i32.add (i32.const ${VALUES}) (i32.shl (local.get $column) (i32.const 3)))
        (select (f64.neg (local.get $value)) (local.get $value) (local.get $negative)))
      (local.set $column (i32.add (local.get $column) (i32.const 1)))
      (if (i32.eq (local.get $c) (i32.const 34))
        (then
          (i32.store (i32.const ${OUT_COLUMNS}) (local.get $column))
          (return (i32.add (local.get $j) (i32.const 1)))))
      (local.set $i (i32.add (local.get $j) (i32.const 1)))
      (br $cell))
    (i32.const -1))

  ;; The line [$p, $end) against the template in $slot: 1 (it has the template's structure;
  ;; results at OUT, KINDS, VALUES), 0 (it has not), 2 (unsure).
  (func (export "match") (param $slot i32) (param $p i32) (param $end i32) (result i32)
    (local $base i32) (local $t i32) (local $length i32) (local $stopCount i32) (local $dataSpan i32)
    (local $contentTypeSpan i32) (local $modeSpan i32) (local $encodingSpan i32)
    (local $q i32) (local $stop i32) (local $stopSpan i32) (local $runEnd i32) (local $n i32)
    (local $same i32) (local $k i32) (local $contentStart i32) (local $after i32)
    (local $dataStart i32) (local $dataEnd i32)
    (local.set $base (i32.add (i32.const ${SLOTS}) (i32.shl (local.get $slot) (i32.const 16))))
    (local.set $length (i32.load (local.get $base)))
    (if (i32.lt_s (local.get $length) (i32.const 0)) (then (return (i32.const 2))))
    (local.set $stopCount (i32.load offset=4 (local.get $base)))
    (local.set $dataSpan (i32.load offset=8 (local.get $base)))
    (local.set $contentTypeSpan (i32.load offset=12 (local.get $base)))
    (local.set $modeSpan (i32.load offset=16 (local.get $base)))
    (local.set $encodingSpan (i32.load offset=20 (local.get $base)))
    (local.set $t (i32.add (local.get $base) (i32.const ${SLOT_TEMPLATE})))
    (i32.store (i32.const ${OUT_CONTENT_TYPE}) (i32.const -1))
    (i32.store (i32.const ${OUT_MODE}) (i32.const -1))
    (i32.store (i32.const ${OUT_ENCODING}) (i32.const -1))
    (block $lineDone
      (loop $stops
        (local.set $stopSpan (i32.const -1))
        (if (i32.lt_s (local.get $stop) (local.get $stopCount))
          (then (local.set $stopSpan (i32.load offset=${SLOT_STOPS}
            (i32.add (local.get $base) (i32.shl (local.get $stop) (i32.const 2)))))))
        ;; The run goes up to and including the stop's opening quote, or to the template's end.
        (local.set $runEnd (local.get $length))
        (if (i32.ge_s (local.get $stopSpan) (i32.const 0))
          (then (local.set $runEnd (i32.add (i32.load offset=${SLOT_OPEN}
            (i32.add (local.get $base) (i32.shl (local.get $stopSpan) (i32.const 2)))) (i32.const 1)))))
        (block $runDone
          (loop $run
            (br_if $runDone (i32.ge_s (local.get $q) (local.get $runEnd)))
            (local.set $n (i32.sub (local.get $runEnd) (local.get $q)))
            (if (i32.lt_s (i32.sub (local.get $end) (local.get $p)) (local.get $n))
              (then (local.set $n (i32.sub (local.get $end) (local.get $p)))))
            (local.set $same (call $same (local.get $p) (i32.add (local.get $t) (local.get $q)) (local.get $n)))
            (local.set $p (i32.add (local.get $p) (local.get $same)))
            (local.set $q (i32.add (local.get $q) (local.get $same)))
            (br_if $runDone (i32.eq (local.get $q) (local.get $runEnd)))
            (local.set $k (i32.load16_s offset=${SLOT_SPAN_AT}
              (i32.add (local.get $base) (i32.shl (local.get $q) (i32.const 1)))))
            (if (i32.or (i32.lt_s (local.get $k) (i32.const 0)) (i32.ge_s (local.get $p) (local.get $end)))
              (then (return (i32.const 0))))
            ;; Inside value string k the line differs: its string goes on to its own closing quote.
            (local.set $contentStart (i32.sub (local.get $p)
              (i32.sub (i32.sub (local.get $q) (i32.load offset=${SLOT_OPEN}
                (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2))))) (i32.const 1))))
            (local.set $p (call $plain (local.get $p)))
            (if (i32.or (i32.ge_s (local.get $p) (local.get $end)) (i32.ne (i32.load8_u (local.get $p)) (i32.const 34)))
              (then (return (i32.const 0))))
            (if (i32.eq (local.get $k) (local.get $contentTypeSpan))
              (then
                (i32.store (i32.const ${OUT_CONTENT_TYPE}) (local.get $contentStart))
                (i32.store offset=4 (i32.const ${OUT_CONTENT_TYPE}) (local.get $p)))
              (else (if (i32.eq (local.get $k) (local.get $modeSpan))
                (then
                  (i32.store (i32.const ${OUT_MODE}) (local.get $contentStart))
                  (i32.store offset=4 (i32.const ${OUT_MODE}) (local.get $p)))
                (else (if (i32.eq (local.get $k) (local.get $encodingSpan))
                  (then
                    (i32.store (i32.const ${OUT_ENCODING}) (local.get $contentStart))
                    (i32.store offset=4 (i32.const ${OUT_ENCODING}) (local.get $p))))))))
            (local.set $q (i32.load offset=${SLOT_CLOSE}
              (i32.add (local.get $base) (i32.shl (local.get $k) (i32.const 2)))))
            (br $run)))
        (br_if $lineDone (i32.lt_s (local.get $stopSpan) (i32.const 0)))
        ;; A stop: $p is just after the line's opening quote.
        (if (i32.eq (local.get $stopSpan) (local.get $dataSpan))
          (then
            (local.set $after (call $stage (i32.sub (local.get $p) (i32.const 1)) (local.get $end)))
            (if (i32.lt_s (local.get $after) (i32.const 0)) (then (return (i32.const 2))))
            (local.set $dataStart (local.get $p))
            (local.set $dataEnd (i32.sub (local.get $after) (i32.const 1)))
            (local.set $p (local.get $dataEnd)))
          (else
            (local.set $p (call $plain (local.get $p)))
            (if (i32.or (i32.ge_s (local.get $p) (local.get $end)) (i32.ne (i32.load8_u (local.get $p)) (i32.const 34)))
              (then (return (i32.const 0))))))
        (local.set $q (i32.load offset=${SLOT_CLOSE}
          (i32.add (local.get $base) (i32.shl (local.get $stopSpan) (i32.const 2)))))
        (local.set $stop (i32.add (local.get $stop) (i32.const 1)))
        (br $stops)))
    (if (i32.ne (local.get $p) (local.get $end)) (then (return (i32.const 0))))
    (i32.store (i32.const ${OUT_DATA_START}) (local.get $dataStart))
    (i32.store (i32.const ${OUT_DATA_END}) (local.get $dataEnd))
    (i32.const 1))
)`;

/**
 * Where `LineKernel.out` holds each result: offsets in the memory (add `shift`), -1 for a field
 * string that is the template's own.
 */
export const KernelOut = {
  DataStart: 0,
  DataEnd: 1,
  Columns: 2,
  ContentTypeStart: 3,
  ContentTypeEnd: 4,
  ModeStart: 5,
  ModeEnd: 6,
  EncodingStart: 7,
  EncodingEnd: 8,
} as const;

/** What `LineKernel.match` answers. */
export const KernelAnswer = { No: 0, Yes: 1, Unsure: 2 } as const;
export type KernelAnswer = (typeof KernelAnswer)[keyof typeof KernelAnswer];

interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly match: (slot: number, start: number, end: number) => number;
}

export class LineKernel {
  private readonly exports: KernelExports;
  private buffer!: ArrayBuffer;
  private memory!: Uint8Array;
  private words!: Int32Array;
  private halves!: Int16Array;
  /** After a Yes: the data's cells (`columns` of them). */
  kinds!: Uint8Array;
  values!: Float64Array;
  /** After a Yes: the results, indexed by `KernelOut`. */
  out!: Int32Array;

  constructor(binary: Uint8Array) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), {});
    this.exports = instance.exports as KernelExports;
    this.view();
    const buffer = this.buffer;
    for (let c = 0; c < 32; c++) this.memory[STRING_STOP + c] = 1;
    this.memory[STRING_STOP + 34] = 1;
    this.memory[STRING_STOP + 92] = 1;
    new Float64Array(buffer, POWERS, 16).set(POW10.slice(0, 16));
    this.clear(0);
    this.clear(1);
  }

  /** The views of the memory (again after it grew: growing detaches the old buffer). */
  private view(): void {
    const buffer = this.exports.memory.buffer;
    this.buffer = buffer;
    this.memory = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.halves = new Int16Array(buffer);
    this.kinds = new Uint8Array(buffer, KINDS, MAX_COLUMNS);
    this.values = new Float64Array(buffer, VALUES, MAX_COLUMNS);
    this.out = new Int32Array(buffer, OUT, 10);
  }

  /**
   * Room for `size` bytes of a capture reader's chunk, whose lines `match` then reads in place
   * (each line ends at a newline that stops every scan). Valid until the next call: the reader
   * copies what it keeps between chunks out. At most `MAX_REGION` bytes.
   */
  region(size: number): Buffer {
    const needed = REGION + size + 16;
    if (needed > this.buffer.byteLength) {
      this.exports.memory.grow(Math.ceil((needed - this.buffer.byteLength) / 65536));
      this.view();
    }
    this.lent = Buffer.from(this.buffer, REGION, size);
    return this.lent;
  }

  /** The last `region` handed out (identity tells its lines from other callers' bytes). */
  private lent: Buffer | undefined = undefined;

  /** Slot without a template: its lines are `Unsure`. */
  clear(slot: number): void {
    this.words[(SLOTS + slot * 65536) >> 2] = -1;
  }

  /**
   * Copies a template in (see `LineTemplate`): its bytes, per byte the value string it belongs
   * to, the strings' quotes, the stops and the field strings. False (and the slot cleared) when
   * it is larger than the kernel holds.
   */
  setTemplate(
    slot: number,
    bytes: Uint8Array,
    length: number,
    spanAt: Int32Array,
    open: Int32Array,
    close: Int32Array,
    spans: number,
    stops: Int32Array,
    stopCount: number,
    fields: { data: number; contentType: number; mode: number; encoding: number },
  ): boolean {
    const base = SLOTS + slot * 65536;
    if (length > MAX_TEMPLATE || spans > MAX_SPANS) {
      this.clear(slot);
      return false;
    }
    this.memory.set(bytes.subarray(0, length), base + SLOT_TEMPLATE);
    const at = (base + SLOT_SPAN_AT) >> 1;
    for (let q = 0; q < length; q++) this.halves[at + q] = spanAt[q] as number;
    const w = base >> 2;
    for (let k = 0; k < spans; k++) {
      this.words[w + (SLOT_OPEN >> 2) + k] = open[k] as number;
      this.words[w + (SLOT_CLOSE >> 2) + k] = close[k] as number;
    }
    for (let s = 0; s < stopCount; s++) this.words[w + (SLOT_STOPS >> 2) + s] = stops[s] as number;
    this.words[w + 1] = stopCount;
    this.words[w + 2] = fields.data;
    this.words[w + 3] = fields.contentType;
    this.words[w + 4] = fields.mode;
    this.words[w + 5] = fields.encoding;
    this.words[w] = length;
    return true;
  }

  /**
   * Matches bytes[start, end) (copied in) against the slot's template. After Yes, the offsets
   * (`dataStart` … `encodingEnd`) are into `bytes`, and `kinds` / `values` hold `columns` cells.
   */
  match(slot: number, bytes: Uint8Array, start: number, end: number): KernelAnswer {
    let answer: KernelAnswer;
    if (bytes === this.lent) {
      // A line of the region: read where it lies.
      this.shift = -REGION;
      answer = this.exports.match(slot, REGION + start, REGION + end) as KernelAnswer;
    } else {
      const length = end - start;
      if (length > MAX_LINE) return KernelAnswer.Unsure;
      this.memory.set(bytes.subarray(start, end), LINE);
      this.memory[LINE + length] = 10;
      this.shift = start - LINE;
      answer = this.exports.match(slot, LINE, LINE + length) as KernelAnswer;
    }
    this.answers[answer] = (this.answers[answer] as number) + 1;
    return answer;
  }

  /** How many lines got each answer (indexed by `KernelAnswer`), for tests and profiles. */
  readonly answers = [0, 0, 0];

  /** After a Yes: add to an `out` offset (≥ 0) to have it in the caller's bytes. */
  shift = 0;
}

let kernel: LineKernel | undefined;
let loading: Promise<LineKernel> | undefined;

/** The kernel, once `loadLineKernel` has finished; undefined before. */
export function lineKernel(): LineKernel | undefined {
  return kernel;
}

/** Assembles and instantiates the kernel (once per process; later calls return the same). */
export function loadLineKernel(): Promise<LineKernel> {
  loading ??= (async () => {
    const { default: initWabt } = await import('wabt');
    const wabt = await initWabt();
    const module = wabt.parseWat('line-kernel.wat', WAT, { simd: true });
    try {
      const { buffer } = module.toBinary({});
      kernel = new LineKernel(buffer);
      return kernel;
    } finally {
      module.destroy();
    }
  })();
  return loading;
}
