// Who may move a case the crew put on hold is the case workflow's: src/cases/crew-workflow.ts.
export { heldByCrew } from "../../cases/index.js";
