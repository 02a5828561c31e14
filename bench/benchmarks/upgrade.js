import { skip } from '../lib/context.js'; export default { name: 'upgrade', title: 'upgrade', compares: '', fair: '', run: () => skip('todo') };
