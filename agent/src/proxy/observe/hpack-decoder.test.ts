import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isWeftError } from '@weft/api';
import { HpackDecoder, type HeaderField } from './hpack-decoder.js';
import { huffmanCode, huffmanDecode } from './hpack-huffman.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

interface Step {
  block: string;
  headers: HeaderField[];
  /** Newest first, as the RFC prints it. */
  table: HeaderField[];
  size: number;
}

function decodeSeries(maxTableSize: number, steps: Step[]): void {
  const decoder = new HpackDecoder({ maxTableSize });
  steps.forEach((step, index) => {
    assert.deepEqual(decoder.decode(hex(step.block)), step.headers, `headers after block ${index + 1}`);
    assert.deepEqual(decoder.dynamicTable, step.table, `table after block ${index + 1}`);
    assert.equal(decoder.tableSize, step.size, `table size after block ${index + 1}`);
  });
}

const isHpackError = (error: unknown): boolean => isWeftError(error, 'WEFT_PROXY_HPACK');

// RFC 7541 Appendix C.3/C.4: three requests on one connection.
const REQUEST_HEADERS: HeaderField[][] = [
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']],
  [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']],
  [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']],
];
const REQUEST_TABLES: HeaderField[][] = [
  [[':authority', 'www.example.com']],
  [['cache-control', 'no-cache'], [':authority', 'www.example.com']],
  [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']],
];
const REQUEST_SIZES = [57, 110, 164];

// RFC 7541 Appendix C.5/C.6: three responses with a 256-octet table, so entries are evicted.
const DATE_21 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE_22 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const LOCATION = 'https://www.example.com';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const RESPONSE_HEADERS: HeaderField[][] = [
  [[':status', '302'], ['cache-control', 'private'], ['date', DATE_21], ['location', LOCATION]],
  [[':status', '307'], ['cache-control', 'private'], ['date', DATE_21], ['location', LOCATION]],
  [[':status', '200'], ['cache-control', 'private'], ['date', DATE_22], ['location', LOCATION], ['content-encoding', 'gzip'], ['set-cookie', COOKIE]],
];
const RESPONSE_TABLES: HeaderField[][] = [
  [['location', LOCATION], ['date', DATE_21], ['cache-control', 'private'], [':status', '302']],
  [[':status', '307'], ['location', LOCATION], ['date', DATE_21], ['cache-control', 'private']],
  [['set-cookie', COOKIE], ['content-encoding', 'gzip'], ['date', DATE_22]],
];
const RESPONSE_SIZES = [222, 222, 215];

function series(blocks: string[], headers: HeaderField[][], tables: HeaderField[][], sizes: number[]): Step[] {
  return blocks.map((block, index) => ({
    block,
    headers: headers[index] ?? [],
    table: tables[index] ?? [],
    size: sizes[index] ?? -1,
  }));
}

describe('HpackDecoder', () => {
  it('decodes the RFC 7541 C.2 single representations', () => {
    const cases: [string, HeaderField[], HeaderField[]][] = [
      ['400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572', [['custom-key', 'custom-header']], [['custom-key', 'custom-header']]],
      ['040c 2f73 616d 706c 652f 7061 7468', [[':path', '/sample/path']], []],
      ['1008 7061 7373 776f 7264 0673 6563 7265 74', [['password', 'secret']], []],
      ['82', [[':method', 'GET']], []],
    ];
    for (const [block, headers, table] of cases) {
      const decoder = new HpackDecoder();
      assert.deepEqual(decoder.decode(hex(block)), headers, block);
      assert.deepEqual(decoder.dynamicTable, table, block);
    }
  });

  it('decodes the RFC 7541 C.3 requests without Huffman coding', () => {
    const blocks = [
      '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d',
      '8286 84be 5808 6e6f 2d63 6163 6865',
      '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65',
    ];
    decodeSeries(4096, series(blocks, REQUEST_HEADERS, REQUEST_TABLES, REQUEST_SIZES));
  });

  it('decodes the RFC 7541 C.4 requests with Huffman coding', () => {
    const blocks = [
      '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff',
      '8286 84be 5886 a8eb 1064 9cbf',
      '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf',
    ];
    decodeSeries(4096, series(blocks, REQUEST_HEADERS, REQUEST_TABLES, REQUEST_SIZES));
  });

  it('decodes the RFC 7541 C.5 responses without Huffman coding, evicting as it goes', () => {
    const blocks = [
      `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
       2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
      '4803 3330 37c1 c0bf',
      `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
       54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
       5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
    ];
    decodeSeries(256, series(blocks, RESPONSE_HEADERS, RESPONSE_TABLES, RESPONSE_SIZES));
  });

  it('decodes the RFC 7541 C.6 responses with Huffman coding, evicting as it goes', () => {
    const blocks = [
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
       2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      '4883 640e ffc1 c0bf',
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
       77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
       9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    ];
    decodeSeries(256, series(blocks, RESPONSE_HEADERS, RESPONSE_TABLES, RESPONSE_SIZES));
  });

  it('applies size updates at the start of a block and refuses them elsewhere or above the limit', () => {
    const decoder = new HpackDecoder();
    decoder.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    assert.equal(decoder.tableSize, 55);
    // 0x20: size update to 0 empties the table; 0x3f e1 1f: back to 4096; then :method GET.
    assert.deepEqual(decoder.decode(hex('20 3fe11f 82')), [[':method', 'GET']]);
    assert.equal(decoder.tableSize, 0);
    assert.equal(decoder.maxTableSize, 4096);
    assert.throws(() => decoder.decode(hex('82 20')), isHpackError);
    assert.throws(() => decoder.decode(hex('3fe21f')), isHpackError, '4097 is above the 4096 limit');
    decoder.setTableSizeLimit(8192);
    decoder.decode(hex('3fe13f'));
    assert.equal(decoder.maxTableSize, 8192);
  });

  it('drops an entry larger than the whole table and empties the table', () => {
    const decoder = new HpackDecoder({ maxTableSize: 64 });
    decoder.decode(hex('4003 6162 6303 7879 7a')); // abc: xyz, 38 octets
    assert.equal(decoder.tableSize, 38);
    const long = Buffer.concat([hex('4003 6162 631e'), Buffer.alloc(30, 0x61)]); // abc: a*30, 65 octets
    decoder.decode(long);
    assert.deepEqual(decoder.dynamicTable, []);
    assert.equal(decoder.tableSize, 0);
  });

  it('refuses malformed blocks with WEFT_PROXY_HPACK', () => {
    const bad = [
      '80', // index 0
      'be', // index 62 with an empty dynamic table
      'ff ff ff ff ff ff 7f', // an integer far too large
      'ff', // an integer cut short
      '4003 6162', // a string cut short
      '40', // a literal with no name
      '4081 ff 00', // Huffman padding longer than 7 bits
      '4081 00 00', // Huffman padding of zeros
      '4084 ffff fffc 00', // EOS inside a Huffman string
    ];
    for (const block of bad) assert.throws(() => new HpackDecoder().decode(hex(block)), isHpackError, block);
  });
});

describe('hpack-huffman', () => {
  it('derives the RFC 7541 Appendix B codes', () => {
    const sample: [number, number, number][] = [
      [0, 0x1ff8, 13], [10, 0x3ffffffc, 30], [32, 0x14, 6], [48, 0x0, 5], [97, 0x3, 5],
      [127, 0xffffffc, 28], [128, 0xfffe6, 20], [200, 0x3ffffe2, 26], [255, 0x3ffffee, 26], [256, 0x3fffffff, 30],
    ];
    for (const [symbol, code, bits] of sample) assert.deepEqual(huffmanCode(symbol), { code, bits }, `symbol ${symbol}`);
  });

  it('decodes every octet', () => {
    // Encode all 256 octets with the derived codes, then decode them back.
    let bits = 0n;
    let count = 0;
    for (let symbol = 0; symbol < 256; symbol++) {
      const { code, bits: length } = huffmanCode(symbol);
      bits = (bits << BigInt(length)) | BigInt(code);
      count += length;
    }
    const padding = (8 - (count % 8)) % 8;
    bits = (bits << BigInt(padding)) | ((1n << BigInt(padding)) - 1n);
    const encoded = Buffer.from(bits.toString(16).padStart(((count + padding) / 8) * 2, '0'), 'hex');
    const decoded = huffmanDecode(encoded, 0, encoded.length);
    assert.deepEqual(Buffer.from(decoded, 'latin1'), Buffer.from(Array.from({ length: 256 }, (_, index) => index)));
  });
});
