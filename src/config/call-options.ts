/** Checks of what a program passed in a call, made before anything connects. */
import { checkPlanNumbers } from '../core/wording.js';
import { CLI_WORDING } from './wording.js';

/** Numbers a program passed (the CLI checks the text as typed earlier), named as the command line names them. */
export function checkNumbers(options: { readonly steps?: number | undefined; readonly to?: number | undefined }): void {
  checkPlanNumbers(options, CLI_WORDING);
}
