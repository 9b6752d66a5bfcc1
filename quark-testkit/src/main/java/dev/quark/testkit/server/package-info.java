/**
 * Real Redis and PostgreSQL servers for tests, found or started once per JVM, and a TCP proxy to cut them off.
 */
@NullMarked
package dev.quark.testkit.server;

import org.jspecify.annotations.NullMarked;
