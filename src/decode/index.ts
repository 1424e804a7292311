export { decodePacket, SUPPORTED_LINK_TYPES } from './decode.js';
export * from './packet.js';
