# The training recipe's settings (resources/models/README.md, "The generalising recipe") and its
# variants, in one place for tools/train-recipe and tools/compare-recipes. Sourced, not run.
#
# recipe_flags VARIANT EPOCHS prints the `relabel train` flags of VARIANT over EPOCHS epochs
# (the poly schedule spans them, so a resumed run must keep EPOCHS); returns 1 for an unknown
# variant. Variants:
#   recipe        SGD momentum 0.9, lr 0.02 with poly decay (power 0.9), weight decay 5e-4,
#                 square-rooted median-frequency weights, batch 4 of 192x256 crops of the full
#                 480x360 images scaled by 0.75-1.25, flips, brightness/contrast/saturation/gamma
#                 jitter 0.25, bf16 (RELABEL_TRAIN_ENGINE=fp32 on a CPU without native bf16:
#                 the engine of each leg is in the log's "start" records), seed 1
#   no-augment    the same without random scale and photometric jitter (crops and flips only,
#                 as the first shipped model trained)
#   image-norm    no-augment with each image's channels standardised at the input (the model's
#                 input_norm "image"), for lighting the training images lack (dusk)
#   full-weights  the median-frequency weights themselves (power 1, not 0.5)
#   no-weights    no class weights (power 0)
# Validation cadence and what is held out are the caller's.
RECIPE_VARIANTS="recipe, no-augment, image-norm, full-weights, no-weights"   # for messages
recipe_flags() {
  _aug="--random-scale 0.75,1.25 --brightness 0.25 --contrast 0.25 --saturation 0.25 --gamma 0.25"
  _power=0.5
  case $1 in
    recipe) ;;
    no-augment) _aug="" ;;
    image-norm) _aug="--input-norm image" ;;
    full-weights) _power=1 ;;
    no-weights) _power=0 ;;
    *) return 1 ;;
  esac
  echo "--epochs $2 --batch 4 --crop 192x256 $_aug --lr 0.02 --lr-poly 0.9 --momentum 0.9" \
    "--weight-decay 5e-4 --class-weight-power $_power --threads 2 --engine ${RELABEL_TRAIN_ENGINE:-bf16}" \
    "--val-images 25 --checkpoint-minutes 5 --seed 1"
}
