// Unpacks the app that scripts/single_file.py packs into dist/ftpsim.html: the text of the page's
// blob back into bytes (`fromText`), then those bytes from LZMA (`unlzma`).
//
// ## fromText: base 127
//
// The blob is the app LZMA-compressed, written as text inside a <script> element, because a page
// opened from disk cannot fetch a file beside it. Base64 would cost about 1 % after gzip (2 KB of
// the page's 210 KB budget): gzip finds short chance repeats in any text of few letters, and
// they cost more than they save. This text uses every one-byte character (0–127) except
// carriage return, which HTML turns into a line feed; HTML turns NUL into U+FFFD, which is read
// back as 0. Each 76 bytes become 87 characters (127^87 ≥ 256^76, almost exactly), the bytes as
// one big number written in base 127, most significant digit first; the last group is padded
// with zeros (the LZMA stream says where it ends). After gzip this is 1.2 KB smaller than base64.
function fromText(text) {
  const out = new Uint8Array((text.length / 87) * 76);
  for (let i = 0, at = 0; i < text.length; i += 87, at += 76) {
    let n = 0n;
    for (let j = i; j < i + 87; j++) {
      const c = text.charCodeAt(j);
      n = n * 127n + BigInt(c > 127 ? 0 : c > 13 ? c - 1 : c);
    }
    for (let k = at + 75; k >= at; k--) {
      out[k] = Number(n & 255n);
      n >>= 8n;
    }
  }
  return out;
}

// ## unlzma
//
// Why our own: the page's download budget (210 KB gzip for everything, BENCHMARKS.md) is nearly
// spent, and the decoder ships inside the page. LZMA-JS's decoder, which the page used before,
// is 3.1 KB gzip because it is a general library (callbacks, progress, text output, streams of
// unknown length); this one decodes one buffer of known length and nothing else, in about a
// quarter of that. It follows the LZMA specification's reference decoder (LzmaSpec.cpp of the
// LZMA SDK, public domain) step by step, with the same names where that helps.
//
// Input: the .lzma "alone" format as single_file.py writes it: the properties byte, the dictionary
// size (4 bytes, unused: the whole output is the dictionary), the unpacked size (8 bytes, little
// endian; single_file.py always writes it), then the range-coded data; anything after the
// data is ignored. Output: a Uint8Array of the unpacked size. The build checks both functions
// against Python on every build (single_file.py runs them under Node), so a mistake here fails
// the build, not the page.
//
// Range and code are kept as plain JavaScript numbers (exact integers below 2^53), so that no
// 32-bit wrap-around has to be simulated with `>>> 0`.
function unlzma(src) {
  let at = 14; // the range coder's first byte is always 0
  let range = 4294967295;
  let code = 0;
  // The properties byte is (pb * 5 + lp) * 9 + lc; single_file.py packs with no position bits
  // (pb = lp = 0: each byte's context is the byte before it, not its position), so it is lc.
  const lc = src[0];
  const size = src[5] + src[6] * 256 + src[7] * 65536 + src[8] * 16777216;
  const out = new Uint8Array(size);
  // Probabilities, all in one table: is-match (192), is-rep and its G0/G1/G2 (4 × 12),
  // is-rep0-long (192), position slots (4 × 64), special positions (115), alignment (16), the
  // match and rep length coders (2 × 514), then the literal coders.
  const IS_REP = 192;
  const IS_REP0_LONG = 240;
  const POS_SLOT = 432;
  const SPEC_POS = 688;
  const ALIGN = 803;
  const MATCH_LEN = 819;
  const REP_LEN = 1333;
  const LITERAL = 1847;
  const probs = new Uint16Array(LITERAL + (0x300 << lc)).fill(1024);
  for (let i = 0; i < 4; i++) code = code * 256 + src[at++];

  const normalize = () => {
    if (range < 16777216) {
      range *= 256;
      code = code * 256 + src[at++];
    }
  };
  const bit = (i) => {
    const bound = (range >>> 11) * probs[i];
    let b = 0;
    if (code < bound) {
      range = bound;
      probs[i] += (2048 - probs[i]) >> 5;
    } else {
      range -= bound;
      code -= bound;
      probs[i] -= probs[i] >> 5;
      b = 1;
    }
    normalize();
    return b;
  };
  const tree = (base, bits) => {
    let m = 1;
    for (let i = 0; i < bits; i++) m = m * 2 + bit(base + m);
    return m - (1 << bits);
  };
  const reverseTree = (base, bits) => {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < bits; i++) {
      const b = bit(base + m);
      m = m * 2 + b;
      symbol |= b << i;
    }
    return symbol;
  };
  const length = (base) =>
    !bit(base) ? tree(base + 2, 3)
      : !bit(base + 1) ? 8 + tree(base + 130, 3)
        : 16 + tree(base + 258, 8);

  let pos = 0;
  let state = 0;
  let rep0 = 0;
  let rep1 = 0;
  let rep2 = 0;
  let rep3 = 0;
  while (pos < size) {
    if (!bit(state << 4)) {
      // A literal, coded in the context of the previous byte (and, after a match, of the byte
      // at the match distance).
      const base = LITERAL + 0x300 * ((pos ? out[pos - 1] : 0) >> (8 - lc));
      let symbol = 1;
      if (state >= 7) {
        let matchByte = out[pos - rep0 - 1];
        do {
          const matchBit = (matchByte >> 7) & 1;
          matchByte <<= 1;
          const b = bit(base + ((1 + matchBit) << 8) + symbol);
          symbol = symbol * 2 + b;
          if (matchBit !== b) break;
        } while (symbol < 256);
      }
      while (symbol < 256) symbol = symbol * 2 + bit(base + symbol);
      out[pos++] = symbol - 256;
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      continue;
    }
    let len;
    if (bit(IS_REP + state)) {
      if (!bit(IS_REP + 12 + state)) {
        if (!bit(IS_REP0_LONG + (state << 4))) {
          // A "short rep": one byte from the last distance.
          state = state < 7 ? 9 : 11;
          out[pos] = out[pos - rep0 - 1];
          pos++;
          continue;
        }
      } else {
        let dist;
        if (!bit(IS_REP + 24 + state)) {
          dist = rep1;
        } else {
          if (!bit(IS_REP + 36 + state)) {
            dist = rep2;
          } else {
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      len = length(REP_LEN);
      state = state < 7 ? 8 : 11;
    } else {
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      len = length(MATCH_LEN);
      state = state < 7 ? 7 : 10;
      const posSlot = tree(POS_SLOT + (len < 3 ? len : 3) * 64, 6);
      if (posSlot < 4) {
        rep0 = posSlot;
      } else {
        const direct = (posSlot >> 1) - 1;
        rep0 = (2 | (posSlot & 1)) * 2 ** direct;
        if (posSlot < 14) {
          rep0 += reverseTree(SPEC_POS + rep0 - posSlot, direct);
        } else {
          let high = 0;
          for (let i = 0; i < direct - 4; i++) {
            range >>>= 1;
            const b = code >= range ? 1 : 0;
            code -= b * range;
            high = high * 2 + b;
            normalize();
          }
          rep0 += high * 16 + reverseTree(ALIGN, 4);
        }
      }
    }
    // A match: copy len + 2 bytes from rep0 + 1 bytes back (the stream's end marker, a match at
    // distance 2^32, never comes: the loop stops at the known size before it).
    for (len += 2; len > 0 && pos < size; len--, pos++) out[pos] = out[pos - rep0 - 1];
  }
  return out;
}
