/* placeholder */
#include <criterion/criterion.h>
Test(config, placeholder) { cr_expect(1); }
