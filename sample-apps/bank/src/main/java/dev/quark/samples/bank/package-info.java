/**
 * A bank whose accounts are virtual actors behind a REST API.
 */
@NullMarked
package dev.quark.samples.bank;

import org.jspecify.annotations.NullMarked;
