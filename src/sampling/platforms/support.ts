// Which operating systems have a backend, and how far each is tested. Pure data, so that the extension host can
// tell the user without loading a backend (the backends run in the sampler worker).

/** The systems with a backend (src/sampling/platforms/platform.ts selectPlatform). */
export const PLATFORM_IDS = ['linux', 'darwin', 'win32'] as const;
export type PlatformId = (typeof PLATFORM_IDS)[number];

/**
 * 'tested': this project's tests run against the real system (the kernel tier: real sockets, real /proc and ss).
 * 'experimental': built from the tools' documentation, source and recorded output; this project's tests do not run
 * on that system (its parsers run on recorded output, and .github/workflows/platforms.yml has a live smoke test for
 * whoever hosts a runner of it).
 * 'unsupported': no backend; sampling fails with the 'unsupported-platform' error.
 */
export type PlatformSupport = 'tested' | 'experimental' | 'unsupported';

const SUPPORT: Readonly<Record<PlatformId, Exclude<PlatformSupport, 'unsupported'>>> = {
  linux: 'tested',
  darwin: 'experimental',
  win32: 'experimental',
};

export function isPlatformId(platform: string): platform is PlatformId {
  return (PLATFORM_IDS as readonly string[]).includes(platform);
}

/** How far `platform` (a process.platform value) is supported. */
export function platformSupport(platform: string): PlatformSupport {
  return isPlatformId(platform) ? SUPPORT[platform] : 'unsupported';
}
