/**
 * Testing actors without Spring: a manual clock and an in-process actor runtime driven by it.
 */
@NullMarked
package dev.quark.testkit;

import org.jspecify.annotations.NullMarked;
