import { Option, type Command } from 'commander';
// Applying the flags lives apart, without commander: decode worker threads (--jobs) load it too.
export { applyInputOptions, type InputFlags } from './apply-input.js';

export function addInputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <name>', 'force the log format instead of detecting it per file (see apiguard formats)'))
    .option('--mapping <file>', 'a mapping file of your own (YAML, see rules/mappings/README.md); repeatable', collect)
    .option('--map <canonical=field>', 'map a field yourself, e.g. --map ip=client_addr --map time=ts:epoch-ms; by column number for CSV without a header; repeatable', collect)
    .option('--log-timezone <zone>', 'IANA zone of log times written without one (Kibana CSV, legacy Tyk text logs)', 'UTC')
    .option('--log-year <year>', 'year of log times written without one (legacy Tyk text logs); default: this year');
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

