import { skip } from '../lib/context.js'; export default { name: 'memory', title: 'memory', compares: '', fair: '', run: () => skip('todo') };
