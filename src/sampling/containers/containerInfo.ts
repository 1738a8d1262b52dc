// What the views show of a container, from the engine's answers. Pure: no I/O.
//
// Labels read (facts of the tools that set them):
// - Docker Compose (v1 and v2) labels every container it creates with com.docker.compose.project,
//   com.docker.compose.service and com.docker.compose.project.working_dir (the folder holding the compose
//   file, as an absolute path on the engine's machine).
// - The Dev Containers tooling labels a dev container with devcontainer.local_folder: the workspace folder it
//   was opened from, on the local machine.
import type { EngineContainer, EngineContainerDetails } from './engineApi';

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
export const COMPOSE_WORKING_DIR_LABEL = 'com.docker.compose.project.working_dir';
export const DEVCONTAINER_LOCAL_FOLDER_LABEL = 'devcontainer.local_folder';

export interface ContainerInfo {
  id: string;
  /** The first 12 characters of the id, as `docker ps` shows it. */
  shortId: string;
  /** Without the leading '/'. */
  name: string;
  image: string;
  composeProject: string | null;
  composeService: string | null;
  composeWorkingDir: string | null;
  devContainerLocalFolder: string | null;
  /** The container's init process on the host; null when not running or not known. */
  pid: number | null;
}

/**
 * The container's own name among the engine's `Names`: the one with no further '/'. A container that others
 * link to (legacy --link) is also listed as '/other/alias'; Docker lists the names in no fixed order.
 */
export function primaryName(names: readonly string[]): string {
  const own = names.find((n) => n.lastIndexOf('/') === 0) ?? names[0] ?? '';
  return stripSlash(own);
}

function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/** A label's value; an absent or empty label is null (an empty project or folder names nothing). */
function label(labels: Readonly<Record<string, string>>, key: string): string | null {
  const v = labels[key];
  return v === undefined || v === '' ? null : v;
}

function info(id: string, name: string, image: string, labels: Readonly<Record<string, string>>, pid: number | null): ContainerInfo {
  return {
    id,
    shortId: id.slice(0, 12),
    name,
    image,
    composeProject: label(labels, COMPOSE_PROJECT_LABEL),
    composeService: label(labels, COMPOSE_SERVICE_LABEL),
    composeWorkingDir: label(labels, COMPOSE_WORKING_DIR_LABEL),
    devContainerLocalFolder: label(labels, DEVCONTAINER_LOCAL_FOLDER_LABEL),
    pid: pid !== null && pid > 0 ? pid : null,
  };
}

/** From a `GET /containers/json` entry, with the pid from its inspect when known (the list does not carry it). */
export function containerInfoFromList(c: EngineContainer, pid: number | null = null): ContainerInfo {
  return info(c.id, primaryName(c.names), c.image, c.labels, pid);
}

/** From `GET /containers/{id}/json`: State.Pid is 0 for a container that is not running. */
export function containerInfoFromDetails(d: EngineContainerDetails): ContainerInfo {
  return info(d.id, stripSlash(d.name), d.image, d.labels, d.running ? d.pid : null);
}
