/* Adversarial training on the embedded input (Miyato, Dai and Goodfellow 2017,
 * "Adversarial training methods for semi-supervised text classification"): the
 * fast-gradient perturbation r = eps * g / ||g||_2 of each sentence's embedded
 * input, g the loss gradient there. A second forward/backward on the input + r
 * adds the gradient of the loss at the perturbed input. */
#ifndef MINILLM_ADVERSARIAL_H
#define MINILLM_ADVERSARIAL_H

/* delta (B, T, C) = eps * grad / ||grad of that sentence|| per batch row b, the norm
 * over its T*C entries; a row with a zero gradient gets a zero delta. */
void adversarial_perturbation(float *delta, const float *grad, float eps, int B, int T, int C);

#endif
