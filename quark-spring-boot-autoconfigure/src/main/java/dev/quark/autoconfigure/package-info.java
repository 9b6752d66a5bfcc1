/**
 * Spring Boot auto-configuration for Quark.
 */
@NullMarked
package dev.quark.autoconfigure;

import org.jspecify.annotations.NullMarked;
