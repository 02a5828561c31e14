import { skip } from '../lib/context.js'; export default { name: 'wait', title: 'wait', compares: '', fair: '', run: () => skip('todo') };
