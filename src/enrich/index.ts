export { GEO_SOURCES, type GeoInfo, lookupGeo } from './geo.js';
