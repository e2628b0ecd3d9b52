/* placeholder: replaced by its owner */
typedef int placeholder_layers;
