import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { dashboardCommand } from './dashboard.js';
import { edgesCommand } from './edges.js';
import { enrollNamespaceCommand, unenrollNamespaceCommand } from './enroll.js';
import { statCommand } from './stat.js';
import { versionCommand } from './version.js';

/** Every command, in the order `weft --help` lists them. */
export const commands: Command[] = [checkCommand, statCommand, edgesCommand, dashboardCommand, enrollNamespaceCommand, unenrollNamespaceCommand, versionCommand];
