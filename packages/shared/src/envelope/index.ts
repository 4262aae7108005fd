export {
  CODECS,
  type Codec,
  decodeEnvelope,
  ENVELOPE_VERSION,
  type EncodedEnvelope,
  type Envelope,
  EnvelopeError,
  encodeEnvelope,
  MAX_DECODED_BYTES,
  MAX_ENVELOPE_BYTES,
} from './envelope.ts';
