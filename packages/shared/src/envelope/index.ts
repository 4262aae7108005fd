export {
  CODECS,
  type Codec,
  decodeEnvelope,
  type EncodedEnvelope,
  ENVELOPE_VERSION,
  type Envelope,
  EnvelopeError,
  encodeEnvelope,
  MAX_DECODED_BYTES,
  MAX_ENVELOPE_BYTES,
} from './envelope.ts';
