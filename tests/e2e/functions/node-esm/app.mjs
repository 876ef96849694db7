// An ES module handler importing a sibling module.
import { shout } from './lib/shout.mjs';

export const handler = async (event, context) => ({
  esm: true,
  shouted: shout(event.word || 'hello'),
  requestId: context.awsRequestId,
});
