// The arithmetic of the classifier, apart from any storage: Gary Robinson's
// per-feature probability f(w) and Fisher's chi-square combination of them
// ("A Statistical Approach to the Spam Problem", Linux Journal 2003), as
// bogofilter and SpamBayes compute them.
//
// Two models feed it: the service-wide one (everyone's Junk / Not junk marks)
// and the recipient's own. A feature's service-wide f(w) is the prior of the
// user's estimate (Robinson's x), so what this user taught wins wherever they
// taught something, and a user who never trained gets the service's view.

/** How often a feature was seen in messages trained as spam and as ham. */
export type TokenCounts = { spam: number; ham: number };

/** One model: trained message counts and the counts of the features asked about. */
export type ModelCounts = {
  spamMessages: number;
  hamMessages: number;
  /** A Map in tests; the MX's in-memory TokenTable (token-table.ts). */
  tokens: { get(token: number): TokenCounts | undefined };
};

export type ClassifierParams = {
  /** Robinson's s: how many messages' worth of weight the prior x has. */
  strength: number;
  /** Robinson's x: the probability of a feature never seen. */
  unknown: number;
  /** Features with |f(w) - 0.5| below this are left out (bogofilter's min_dev). */
  minDeviation: number;
  /** Only the most telling features count (SpamBayes' max_discriminators). */
  maxFeatures: number;
  /** A model judges only once it was taught this many messages of each kind. */
  minTrainedEach: number;
  /** How much more a user's own marks count than everyone's. */
  userWeight: number;
};

/** Tuned on the SpamAssassin corpus by `npm run bench:spam` (and /tmp tuning runs of it). */
export const DEFAULT_PARAMS: ClassifierParams = {
  strength: 1,
  unknown: 0.5,
  minDeviation: 0.1,
  maxFeatures: 300,
  minTrainedEach: 10,
  userWeight: 10,
};

/**
 * Robinson's f(w) over both models. The service's counts include the
 * user's own marks, so the evidence n is the larger count, and the user's
 * counts weigh `userWeight` times in the spam and ham frequencies: a
 * user's own marks move the estimate, a single user's service is not
 * counted twice.
 */
function featureProbability(
  user: TokenCounts | undefined,
  userModel: ModelCounts | null,
  service: TokenCounts | undefined,
  serviceModel: ModelCounts | null,
  params: ClassifierParams,
): number {
  const w = params.userWeight;
  const us = userModel && user ? user.spam : 0;
  const uh = userModel && user ? user.ham : 0;
  const ss = serviceModel && service ? service.spam : 0;
  const sh = serviceModel && service ? service.ham : 0;
  const n = Math.max(us + uh, ss + sh);
  if (n === 0) return params.unknown;
  const spamMessages =
    (userModel ? w * userModel.spamMessages : 0) + (serviceModel?.spamMessages ?? 0);
  const hamMessages =
    (userModel ? w * userModel.hamMessages : 0) + (serviceModel?.hamMessages ?? 0);
  const b = Math.min(1, (w * us + ss) / spamMessages);
  const g = Math.min(1, (w * uh + sh) / hamMessages);
  const p = b / (b + g);
  return (params.strength * params.unknown + n * p) / (params.strength + n);
}

/**
 * P(chi-square with 2·dof/2 degrees of freedom ≥ chi2), i.e. Q(chi2, dof)
 * for even dof, summed in log space so hundreds of features neither
 * underflow nor overflow.
 */
export function chiSquareQ(chi2: number, dof: number): number {
  // Q = e^-m · Σ m^i / i!  (i < dof/2). The sum is kept in plain numbers,
  // rescaled whenever it grows large, and e^-m is applied in log space at
  // the end: one multiplication per term instead of a log and an exp.
  const m = chi2 / 2;
  let term = 1;
  let sum = 1;
  let logScale = 0;
  for (let i = 1; i < dof / 2; i++) {
    term *= m / i;
    sum += term;
    if (sum > 1e250) {
      sum *= 1e-250;
      term *= 1e-250;
      logScale += 250 * Math.LN10;
    }
  }
  return Math.min(1, Math.exp(Math.log(sum) + logScale - m));
}

/** Fisher's combination of feature probabilities: the spamicity I in [0, 1]. */
export function fisherCombine(probabilities: number[]): number {
  if (probabilities.length === 0) return 0.5;
  let lnSpam = 0;
  let lnHam = 0;
  for (const p of probabilities) {
    const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
    lnHam += Math.log(q);
    lnSpam += Math.log(1 - q);
  }
  const dof = 2 * probabilities.length;
  const h = chiSquareQ(-2 * lnHam, dof);
  const s = chiSquareQ(-2 * lnSpam, dof);
  return (1 + h - s) / 2;
}

function trained(model: ModelCounts | null, params: ClassifierParams): boolean {
  return (
    model !== null &&
    model.spamMessages >= params.minTrainedEach &&
    model.hamMessages >= params.minTrainedEach
  );
}

/** The spamicity from already computed f(w) values, keeping the most telling. */
function spamicityOf(values: number[], params: ClassifierParams): number {
  const telling = values.filter((f) => Math.abs(f - 0.5) >= params.minDeviation);
  if (telling.length > params.maxFeatures) {
    telling.sort((a, b) => Math.abs(b - 0.5) - Math.abs(a - 0.5));
    telling.length = params.maxFeatures;
  }
  return fisherCombine(telling);
}

export type Classification = {
  spamProbability: number;
  /** The spamicity from the service-wide model alone (null: it is not trained). */
  serviceProbability: number | null;
  /** Whether the user's own model took part. */
  userModelUsed: boolean;
};

/**
 * Classifies a message's features against the user's and the service's
 * models. Null when neither model has been taught enough to judge.
 */
export function classify(
  features: readonly number[],
  user: ModelCounts | null,
  service: ModelCounts | null,
  params: ClassifierParams = DEFAULT_PARAMS,
): Classification | null {
  const useService = trained(service, params);
  const useUser = trained(user, params);
  if (!useService && !useUser) return null;
  const serviceValues: number[] = [];
  const values: number[] = [];
  const u = useUser ? user : null;
  const sv = useService ? service : null;
  for (const feature of features) {
    const ut = u?.tokens.get(feature);
    const st = sv?.tokens.get(feature);
    values.push(featureProbability(ut, u, st, sv, params));
    if (u && sv) serviceValues.push(featureProbability(undefined, null, st, sv, params));
  }
  const spamProbability = spamicityOf(values, params);
  return {
    spamProbability,
    serviceProbability: !sv ? null : u ? spamicityOf(serviceValues, params) : spamProbability,
    userModelUsed: useUser,
  };
}
