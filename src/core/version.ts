/** The release of Nightshift, as package.json states it; exports name it as the producing product's version. */
export const NIGHTSHIFT_VERSION = "0.1.0";
