// When to tell the user how to get container names on sockets of other network namespaces: once per kind of
// problem per session, and only while such sockets are actually shown without a label (a machine without any
// container engine and without other namespaces in view hears nothing). Pure: the model shows the text.
import type { ContainerEngineStatus } from './types';

/** `permission`: the engine's socket refused us (join the docker group). `unreachable`: no engine answered there. */
export type ContainerHintKind = 'permission' | 'unreachable';

/** The hint a sample calls for, or null: sockets of other namespaces are listed unlabelled because the engine could not be asked. */
export function containerHintFor(status: ContainerEngineStatus | undefined, unlabelledForeignSockets: number): ContainerHintKind | null {
  if (status === undefined || unlabelledForeignSockets <= 0) return null;
  switch (status.state) {
    case 'permission':
      return 'permission';
    case 'no-engine':
    case 'timeout':
    case 'bad-response':
      return 'unreachable';
    case 'ok':
    case 'off':
    case 'starting':
      return null;
  }
}

/** Hands out each kind of hint once. */
export class ContainerHints {
  private readonly given = new Set<ContainerHintKind>();

  /** The hint to show now, if this sample calls for one not shown before. */
  next(status: ContainerEngineStatus | undefined, unlabelledForeignSockets: number): ContainerHintKind | null {
    const kind = containerHintFor(status, unlabelledForeignSockets);
    if (kind === null || this.given.has(kind)) return null;
    this.given.add(kind);
    return kind;
  }
}
