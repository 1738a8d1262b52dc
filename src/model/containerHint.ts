// The one-time hint when sockets of other network namespaces are shown without container names because the
// container engine could not be asked: how to get the names (the docker group, a running engine, DOCKER_HOST).
// Once per kind per session (src/domain/containerHint.ts decides), as an information message and in the log.
import * as vscode from 'vscode';
import { ContainerHints, type ContainerHintKind } from '../domain/containerHint';
import type { SampleStats } from '../sampling/workerProtocol';

/** The hint's text in the UI language. */
export function containerHintText(kind: ContainerHintKind, socketPath: string | null): string {
  const socket = socketPath ?? '/var/run/docker.sock';
  return kind === 'permission'
    ? vscode.l10n.t(
        'Sockets of other network namespaces are listed without container names: permission denied on the container engine\'s socket {0}. To see the names, add your user to the docker group (sudo usermod -aG docker $USER) and log in again.',
        socket,
      )
    : vscode.l10n.t(
        'Sockets of other network namespaces are listed by namespace: no container engine answered at {0}. If they belong to containers, start Docker or Podman, or set DOCKER_HOST to the engine\'s socket, to see container names.',
        socket,
      );
}

export class ContainerHintReporter {
  private readonly hints = new ContainerHints();
  /** The last hint shown (tests and the status read it). */
  shown: string | null = null;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Looks at one sample's stats; shows a hint the first time a kind of problem hides labels. */
  observe(stats: SampleStats): void {
    const kind = this.hints.next(stats.containers, stats.unlabelledForeignSockets ?? 0);
    if (kind === null) return;
    const text = containerHintText(kind, stats.containers?.socketPath ?? null);
    this.shown = text;
    this.log.info(`container labels unavailable (${stats.containers?.state ?? '?'}): ${stats.containers?.message ?? ''}`);
    void vscode.window.showInformationMessage(text);
  }
}
