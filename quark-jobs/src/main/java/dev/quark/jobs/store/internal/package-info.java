/**
 * What the job stores of this module share and applications do not use: not part of the store SPI, it may change
 * in any version.
 */
@NullMarked
package dev.quark.jobs.store.internal;

import org.jspecify.annotations.NullMarked;
