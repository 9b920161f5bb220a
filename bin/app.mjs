// The CDK app. It arrives with the infrastructure issue; until then `cdk synth` says so.
console.error(
  'The CDK app (construct and stack) arrives with the infrastructure issue; nothing to synthesize yet.',
);
process.exit(1);
