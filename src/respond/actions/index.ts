export { ACTIONS, ACTION_NAMES, ActionName, actionSpec, rollbackArgs, type ActionSpec, type TargetKind } from "./catalogue.js";
export { HINT_ACTIONS, parseAction, type ActionRequest } from "./parse.js";
export { IndicatorType, indicatorProblem, isReservedAddress } from "./args.js";
