import { skip } from '../lib/context.js'; export default { name: 'annotate', title: 'annotate', compares: '', fair: '', run: () => skip('todo') };
