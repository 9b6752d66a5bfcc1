/**
 * Test doubles for call filters: calls a filter can be handed without a runtime.
 */
@NullMarked
package dev.quark.testkit.filter;

import org.jspecify.annotations.NullMarked;
